package ftp;

/**
 * Where a control connection stands in logging in (RFC 959 §4.1.1): nobody yet, a name given by
 * USER waiting for PASS, or logged in with an account and its home. Owned by the control thread.
 */
sealed interface Login {
    /** {@code since}: nanoTime of the connect or the last logout, from when login.timeout counts. */
    record LoggedOut(long since) implements Login {}

    record UserGiven(String name, long since) implements Login {}

    /** {@code xferName}: xferlog(5)'s user field: the account name, or the anonymous user's password. */
    record LoggedIn(Account account, Home home, String xferName) implements Login {}
}

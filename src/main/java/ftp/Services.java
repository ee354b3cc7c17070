package ftp;

/**
 * What the server shares with its sessions, made once at start-up: the settings, who may log in,
 * admission and bans, busy marks, rate limits, the transfer log, and TLS (null without a certificate).
 */
record Services(Config config, Accounts accounts, Guard guard, Claims claims, Throttle.Rates rates, Xferlog xferlog,
                Tls tls) {}

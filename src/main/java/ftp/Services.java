package ftp;

/**
 * What the server shares with its sessions, made once at start-up: the settings, who may log in,
 * admission and bans, busy marks, rate limits, the transfer log, TLS (null without a certificate),
 * the threads for CPU-heavy work, and the counters /metrics shows.
 */
record Services(Config config, Accounts accounts, Guard guard, Claims claims, Throttle.Rates rates, Xferlog xferlog,
                Tls tls, Cpu cpu, Metrics metrics) {}

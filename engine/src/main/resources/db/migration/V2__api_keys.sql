-- API keys (consumer_key:token_key:token_secret, MAAS's OAuth 1.0 PLAINTEXT) and the nonces seen with them.
-- Portable SQL: runs on H2 2.x and PostgreSQL 12+.

CREATE TABLE api_key (
    token_key    VARCHAR(64)  NOT NULL PRIMARY KEY,
    consumer_key VARCHAR(64)  NOT NULL,
    token_secret VARCHAR(64)  NOT NULL,
    username     VARCHAR(64)  NOT NULL,
    created      TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One row per (key, nonce) inside the timestamp window; rows older than the window are pruned.
CREATE TABLE oauth_nonce (
    token_key VARCHAR(64)  NOT NULL,
    nonce     VARCHAR(255) NOT NULL,
    stamp     BIGINT       NOT NULL,
    CONSTRAINT oauth_nonce_pk PRIMARY KEY (token_key, nonce)
);
CREATE INDEX oauth_nonce_stamp ON oauth_nonce (stamp);

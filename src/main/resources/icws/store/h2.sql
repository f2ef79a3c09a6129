-- Schema of the database store (icws.store=jdbc), version 1, for H2 (tests; MODE=PostgreSQL or not).
-- ${prefix} is icws.store.jdbc.table-prefix (default icws_). Created at the first start when
-- icws.store.jdbc.initialize-schema=true (the default); otherwise run it yourself with the prefix filled in.
CREATE TABLE IF NOT EXISTS ${prefix}schema (
    version      INTEGER      NOT NULL,
    installed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
-- one row per connection: the sequence of its newest record and the license state that record left
CREATE TABLE IF NOT EXISTS ${prefix}connection (
    connection   VARCHAR(100) NOT NULL PRIMARY KEY,
    seq          BIGINT       NOT NULL,
    state        CLOB,
    committed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
-- one row per committed batch: its events (a JSON array of CloudEvents), sequences seq .. last_seq
CREATE TABLE IF NOT EXISTS ${prefix}record (
    connection   VARCHAR(100) NOT NULL,
    seq          BIGINT       NOT NULL,
    last_seq     BIGINT       NOT NULL,
    targets      VARCHAR(2000),
    events       CLOB         NOT NULL,
    committed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (connection, seq)
);
-- per target and connection: the sequence of the last event that target took
CREATE TABLE IF NOT EXISTS ${prefix}progress (
    target       VARCHAR(100) NOT NULL,
    connection   VARCHAR(100) NOT NULL,
    seq          BIGINT       NOT NULL,
    PRIMARY KEY (target, connection)
);

-- Chunked uploads in progress: one row per incomplete boot_resource_file. The declared sha256 and size are the file
-- row's; the bytes received so far sit in data_dir/tmp/<partial_name>. Portable SQL: H2 2.x and PostgreSQL 12+.

CREATE TABLE upload (
    file_id        BIGINT       NOT NULL PRIMARY KEY REFERENCES boot_resource_file (id) ON DELETE CASCADE,
    partial_name   VARCHAR(255) NOT NULL,
    bytes_received BIGINT       NOT NULL,
    updated        TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT upload_partial UNIQUE (partial_name)
);

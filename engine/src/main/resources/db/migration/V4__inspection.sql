-- What the inspection of an uploaded file found (JSON text, the shape of Inspection.toMap() with the verdict's
-- findings), written once the file is complete and accepted; NULL for files stored before inspection existed.
-- Portable SQL: H2 2.x and PostgreSQL 12+.

ALTER TABLE boot_resource_file ADD COLUMN inspection VARCHAR(65535);

package io.metalcast.engine.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** JDBC access to {@code boot_resource} and {@code boot_resource_file}. Stateless; each call takes the connection. */
public final class BootResourceRepository {
    private static final String COLUMNS = "id, resource_type, name, architecture, title, base_image, filetype, created";

    public long insert(Connection c, BootResourceRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO boot_resource (resource_type, name, architecture, title, base_image,"
                + " filetype, created) VALUES (?, ?, ?, ?, ?, ?, ?)", new String[] {"id"})) {
            ps.setString(1, r.type());
            ps.setString(2, r.name());
            ps.setString(3, r.architecture());
            ps.setString(4, r.title());
            ps.setString(5, r.baseImage());
            ps.setString(6, r.filetype());
            Jdbc.setTime(ps, 7, r.created());
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    public void update(Connection c, BootResourceRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE boot_resource SET title = ?, base_image = ?, filetype = ? WHERE id = ?")) {
            ps.setString(1, r.title());
            ps.setString(2, r.baseImage());
            ps.setString(3, r.filetype());
            ps.setLong(4, r.id());
            ps.executeUpdate();
        }
    }

    public Optional<BootResourceRecord> get(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM boot_resource WHERE id = ?")) {
            ps.setLong(1, id);
            return first(ps);
        }
    }

    public Optional<BootResourceRecord> find(Connection c, String name, String architecture) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM boot_resource WHERE name = ? AND architecture = ?")) {
            ps.setString(1, name);
            ps.setString(2, architecture);
            return first(ps);
        }
    }

    /** Resources of one name whose architecture starts with {@code arch/}. */
    public List<BootResourceRecord> findByName(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM boot_resource WHERE name = ? ORDER BY id")) {
            ps.setString(1, name);
            return all(ps);
        }
    }

    public List<BootResourceRecord> list(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM boot_resource ORDER BY id")) {
            return all(ps);
        }
    }

    /** Inserts a file row; returns its id. */
    public long insertFile(Connection c, BootFileRecord f) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO boot_resource_file (resource_id, version, filename, filetype, sha256,"
                + " size, complete) VALUES (?, ?, ?, ?, ?, ?, ?)", new String[] {"id"})) {
            ps.setLong(1, f.resourceId());
            ps.setString(2, f.version());
            ps.setString(3, f.filename());
            ps.setString(4, f.filetype());
            ps.setString(5, f.sha256());
            ps.setLong(6, f.size());
            ps.setBoolean(7, f.complete());
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    public Optional<BootFileRecord> file(Connection c, long fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, resource_id, version, filename, filetype, sha256, size, complete"
                + " FROM boot_resource_file WHERE id = ?")) {
            ps.setLong(1, fileId);
            List<BootFileRecord> l = fileRows(ps);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    /** Marks a file complete; returns the rows changed (0 when it is gone). */
    public int markComplete(Connection c, long fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE boot_resource_file SET complete = TRUE WHERE id = ?")) {
            ps.setLong(1, fileId);
            return ps.executeUpdate();
        }
    }

    /** Records what the inspection of a file found (JSON text). */
    public int setInspection(Connection c, long fileId, String json) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE boot_resource_file SET inspection = ? WHERE id = ?")) {
            ps.setString(1, json);
            ps.setLong(2, fileId);
            return ps.executeUpdate();
        }
    }

    /** The inspections (JSON text) of a resource's files, by file id; files without one are left out. */
    public Map<Long, String> inspections(Connection c, long resourceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, inspection FROM boot_resource_file WHERE resource_id = ? AND inspection IS NOT NULL")) {
            ps.setLong(1, resourceId);
            Map<Long, String> out = new java.util.HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getString(2));
                }
            }
            return out;
        }
    }

    /** The inspections (JSON text) recorded for complete files with this sha256. */
    public List<String> inspectionsBySha256(Connection c, String sha256) throws SQLException {
        return strings(c, "SELECT inspection FROM boot_resource_file WHERE sha256 = ? AND complete = TRUE AND inspection IS NOT NULL"
                + " ORDER BY id", sha256);
    }

    /** Deletes one file row (its upload row goes with it). */
    public int deleteFile(Connection c, long fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM boot_resource_file WHERE id = ?")) {
            ps.setLong(1, fileId);
            return ps.executeUpdate();
        }
    }

    /** Deletes a resource with its files and uploads (cascade). */
    public int delete(Connection c, long resourceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM boot_resource WHERE id = ?")) {
            ps.setLong(1, resourceId);
            return ps.executeUpdate();
        }
    }

    /** How many file rows (complete or not) name this sha256. */
    public long countBySha256(Connection c, String sha256) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM boot_resource_file WHERE sha256 = ?")) {
            ps.setString(1, sha256);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The sizes recorded for this sha256 by complete files (normally one value). */
    public List<Long> completeSizes(Connection c, String sha256) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT DISTINCT size FROM boot_resource_file WHERE sha256 = ? AND complete = TRUE")) {
            ps.setString(1, sha256);
            List<Long> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
            return out;
        }
    }

    public void insertUpload(Connection c, UploadRecord u) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO upload (file_id, partial_name, bytes_received, updated) VALUES (?, ?, ?, ?)")) {
            ps.setLong(1, u.fileId());
            ps.setString(2, u.partialName());
            ps.setLong(3, u.bytesReceived());
            Jdbc.setTime(ps, 4, u.updated());
            ps.executeUpdate();
        }
    }

    public Optional<UploadRecord> upload(Connection c, long fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT file_id, partial_name, bytes_received, updated FROM upload WHERE file_id = ?")) {
            ps.setLong(1, fileId);
            List<UploadRecord> l = uploadRows(ps);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    public List<UploadRecord> uploads(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT file_id, partial_name, bytes_received, updated FROM upload ORDER BY file_id")) {
            return uploadRows(ps);
        }
    }

    /** Uploads in progress of one resource's files. */
    public List<UploadRecord> uploadsOf(Connection c, long resourceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT u.file_id, u.partial_name, u.bytes_received, u.updated FROM upload u"
                + " JOIN boot_resource_file f ON f.id = u.file_id WHERE f.resource_id = ? ORDER BY u.file_id")) {
            ps.setLong(1, resourceId);
            return uploadRows(ps);
        }
    }

    /** Sets the bytes received; returns the rows changed (0 when the upload is gone). */
    public int updateUpload(Connection c, long fileId, long bytesReceived, java.time.Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE upload SET bytes_received = ?, updated = ? WHERE file_id = ?")) {
            ps.setLong(1, bytesReceived);
            Jdbc.setTime(ps, 2, now);
            ps.setLong(3, fileId);
            return ps.executeUpdate();
        }
    }

    public void deleteUpload(Connection c, long fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM upload WHERE file_id = ?")) {
            ps.setLong(1, fileId);
            ps.executeUpdate();
        }
    }

    private static List<UploadRecord> uploadRows(PreparedStatement ps) throws SQLException {
        List<UploadRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new UploadRecord(rs.getLong(1), rs.getString(2), rs.getLong(3), Jdbc.time(rs, "updated")));
            }
        }
        return out;
    }

    private static List<BootFileRecord> fileRows(PreparedStatement ps) throws SQLException {
        List<BootFileRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new BootFileRecord(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6).trim(), rs.getLong(7), rs.getBoolean(8)));
            }
        }
        return out;
    }

    /** Files of a resource, oldest version first. */
    public List<BootFileRecord> files(Connection c, long resourceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, resource_id, version, filename, filetype, sha256, size, complete"
                + " FROM boot_resource_file WHERE resource_id = ? ORDER BY id")) {
            ps.setLong(1, resourceId);
            return fileRows(ps);
        }
    }

    /** The sha256 of complete files starting with {@code prefix} (lowercase hex). */
    public List<String> completeSha256ByPrefix(Connection c, String prefix) throws SQLException {
        return strings(c, "SELECT DISTINCT sha256 FROM boot_resource_file WHERE complete = TRUE AND sha256 LIKE ?", prefix + "%");
    }

    /** The sha256 of complete files uploaded as {@code filetype} ({@code ddraw}). */
    public List<String> completeSha256ByFiletype(Connection c, String filetype) throws SQLException {
        return strings(c, "SELECT DISTINCT sha256 FROM boot_resource_file WHERE complete = TRUE AND filetype = ? ORDER BY sha256", filetype);
    }

    /** The first column of {@code sql} with its one parameter, each value stripped of CHAR padding. */
    private static List<String> strings(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, parameter);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1).trim());
                }
            }
            return out;
        }
    }

    /** Complete uploaded custom files with a base image, counted by (base_image, filetype). */
    public Map<List<String>, Long> countUploadedCustom(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT r.base_image, f.filetype, COUNT(*) FROM boot_resource r"
                + " JOIN boot_resource_file f ON f.resource_id = r.id WHERE r.resource_type = 'Uploaded' AND f.complete = TRUE"
                + " AND r.base_image <> '' GROUP BY r.base_image, f.filetype")) {
            Map<List<String>, Long> out = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(List.of(rs.getString(1), rs.getString(2)), rs.getLong(3));
                }
            }
            return out;
        }
    }

    private static Optional<BootResourceRecord> first(PreparedStatement ps) throws SQLException {
        List<BootResourceRecord> l = all(ps);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    private static List<BootResourceRecord> all(PreparedStatement ps) throws SQLException {
        List<BootResourceRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new BootResourceRecord(rs.getLong("id"), rs.getString("resource_type"), rs.getString("name"),
                        rs.getString("architecture"), rs.getString("title"), rs.getString("base_image"), rs.getString("filetype"),
                        Jdbc.time(rs, "created")));
            }
        }
        return out;
    }
}

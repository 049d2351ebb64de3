package io.metalcast.engine.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** JDBC access to {@code machine} and {@code machine_event}. Stateless; each call takes the connection. */
public final class MachineRepository {
    private static final String COLUMNS = "system_id, hostname, mac, architecture, status, osystem, distro_series, token_key,"
            + " token_secret, consumer_key, deploy_deadline, created, updated";

    public void insert(Connection c, MachineRecord m) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO machine (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, m.systemId());
            ps.setString(2, m.hostname());
            ps.setString(3, m.mac());
            ps.setString(4, m.architecture());
            ps.setInt(5, m.status());
            ps.setString(6, m.osystem());
            ps.setString(7, m.distroSeries());
            ps.setString(8, m.tokenKey());
            ps.setString(9, m.tokenSecret());
            ps.setString(10, m.consumerKey());
            Jdbc.setTime(ps, 11, m.deployDeadline().orElse(null));
            Jdbc.setTime(ps, 12, m.created());
            Jdbc.setTime(ps, 13, m.updated());
            ps.executeUpdate();
        }
    }

    /** Writes every mutable column of the machine with this system_id. */
    public void update(Connection c, MachineRecord m) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE machine SET hostname = ?, architecture = ?, status = ?, osystem = ?,"
                + " distro_series = ?, token_key = ?, token_secret = ?, consumer_key = ?, deploy_deadline = ?, updated = ? WHERE system_id = ?")) {
            ps.setString(1, m.hostname());
            ps.setString(2, m.architecture());
            ps.setInt(3, m.status());
            ps.setString(4, m.osystem());
            ps.setString(5, m.distroSeries());
            ps.setString(6, m.tokenKey());
            ps.setString(7, m.tokenSecret());
            ps.setString(8, m.consumerKey());
            Jdbc.setTime(ps, 9, m.deployDeadline().orElse(null));
            Jdbc.setTime(ps, 10, m.updated());
            ps.setString(11, m.systemId());
            ps.executeUpdate();
        }
    }

    public Optional<MachineRecord> bySystemId(Connection c, String systemId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machine WHERE system_id = ?")) {
            ps.setString(1, systemId);
            return first(ps);
        }
    }

    public Optional<MachineRecord> byMac(Connection c, String mac) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machine WHERE mac = ?")) {
            ps.setString(1, mac);
            return first(ps);
        }
    }

    public List<MachineRecord> list(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machine ORDER BY created, system_id")) {
            return all(ps);
        }
    }

    /** Machines in {@code status} whose deploy deadline is before {@code now}. */
    public List<MachineRecord> overdue(Connection c, int status, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machine WHERE status = ? AND deploy_deadline < ?")) {
            ps.setInt(1, status);
            Jdbc.setTime(ps, 2, now);
            return all(ps);
        }
    }

    /** Number of machines per status code. */
    public Map<Integer, Long> countByStatus(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM machine GROUP BY status")) {
            Map<Integer, Long> out = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getInt(1), rs.getLong(2));
                }
            }
            return out;
        }
    }

    /** Number of machines in {@code status} whose osystem is {@code osystem}. */
    public long count(Connection c, int status, String osystem) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM machine WHERE status = ? AND osystem = ?")) {
            ps.setInt(1, status);
            ps.setString(2, osystem);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public void insertEvent(Connection c, EventRecord e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO machine_event (system_id, event_time, event_type, name, description,"
                + " result) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, e.systemId());
            Jdbc.setTime(ps, 2, e.time());
            ps.setString(3, cut(e.type(), 32));
            ps.setString(4, cut(e.name(), 255));
            ps.setString(5, cut(e.description(), 1024));
            ps.setString(6, cut(e.result(), 16));
            ps.executeUpdate();
        }
    }

    /** The newest {@code limit} events of a machine, newest first. */
    public List<EventRecord> events(Connection c, String systemId, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, system_id, event_time, event_type, name, description, result"
                + " FROM machine_event WHERE system_id = ? ORDER BY id DESC")) {
            ps.setString(1, systemId);
            ps.setMaxRows(limit);
            List<EventRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new EventRecord(rs.getLong(1), rs.getString(2), Jdbc.time(rs, "event_time"), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7)));
                }
            }
            return out;
        }
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static Optional<MachineRecord> first(PreparedStatement ps) throws SQLException {
        List<MachineRecord> l = all(ps);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    private static List<MachineRecord> all(PreparedStatement ps) throws SQLException {
        List<MachineRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new MachineRecord(rs.getString("system_id"), rs.getString("hostname"), rs.getString("mac"),
                        rs.getString("architecture"), rs.getInt("status"), rs.getString("osystem"), rs.getString("distro_series"),
                        rs.getString("token_key"), rs.getString("token_secret"), rs.getString("consumer_key"),
                        Optional.ofNullable(Jdbc.time(rs, "deploy_deadline")), Jdbc.time(rs, "created"), Jdbc.time(rs, "updated")));
            }
        }
        return out;
    }
}

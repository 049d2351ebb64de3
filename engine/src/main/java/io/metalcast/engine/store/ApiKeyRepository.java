package io.metalcast.engine.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** JDBC access to {@code api_key} and {@code oauth_nonce}. Stateless; each call takes the connection. */
public final class ApiKeyRepository {
    /** SQLSTATE of a unique constraint violation, the same on H2 and PostgreSQL. */
    private static final String UNIQUE_VIOLATION = "23505";

    public void insert(Connection c, ApiKeyRecord k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO api_key (token_key, consumer_key, token_secret, username, created) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, k.tokenKey());
            ps.setString(2, k.consumerKey());
            ps.setString(3, k.tokenSecret());
            ps.setString(4, k.username());
            Jdbc.setTime(ps, 5, k.created());
            ps.executeUpdate();
        }
    }

    public Optional<ApiKeyRecord> byToken(Connection c, String tokenKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT consumer_key, token_key, token_secret, username, created FROM api_key WHERE token_key = ?")) {
            ps.setString(1, tokenKey);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ApiKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        Jdbc.time(rs, "created")));
            }
        }
    }

    /** Records a nonce; false when this key used it before (a replay). */
    public boolean useNonce(Connection c, String tokenKey, String nonce, long stamp) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO oauth_nonce (token_key, nonce, stamp) VALUES (?, ?, ?)")) {
            ps.setString(1, tokenKey);
            ps.setString(2, nonce);
            ps.setLong(3, stamp);
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /** Forgets nonces whose timestamp is before {@code before} (epoch seconds); they are refused by the window anyway. */
    public int pruneNonces(Connection c, long before) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM oauth_nonce WHERE stamp < ?")) {
            ps.setLong(1, before);
            return ps.executeUpdate();
        }
    }

    /** Used by tests and the status page: how many nonces are remembered. */
    public long countNonces(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM oauth_nonce"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

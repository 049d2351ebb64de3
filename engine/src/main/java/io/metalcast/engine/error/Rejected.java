package io.metalcast.engine.error;

import java.util.Objects;

/** A request the engine refuses, by kind; the message is one line meant for the operator. */
public final class Rejected extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why, with the HTTP status the API answers. */
    public enum Kind {
        INVALID(400), UNAUTHORIZED(401), FORBIDDEN(403), NOT_FOUND(404), CONFLICT(409);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Kind kind;

    public Rejected(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    public static Rejected invalid(String field, String value, String expected) {
        return new Rejected(Kind.INVALID, field + ": '" + value + "' (expected: " + expected + ")");
    }

    public static Rejected missing(String field, String expected) {
        return new Rejected(Kind.INVALID, field + ": missing (expected: " + expected + ")");
    }
}

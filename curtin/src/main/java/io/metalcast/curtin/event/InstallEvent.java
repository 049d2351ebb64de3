package io.metalcast.curtin.event;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * One curtin reporting event, in the JSON shape curtin posts to a webhook.
 *
 * @param name        slash path such as {@code cmd-install/stage-extract}
 * @param eventType   {@code start}, {@code progress} or {@code finish}
 * @param result      {@code SUCCESS}, {@code WARN}, {@code FAIL} on finish; null otherwise
 * @param description human text
 * @param origin      {@code curtin}
 * @param timestamp   seconds since the epoch
 * @param level       {@code DEBUG}, {@code INFO}...; may be null
 * @param files       attached files (base64); may be empty
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstallEvent(
        @JsonProperty("name") String name,
        @JsonProperty("event_type") String eventType,
        @JsonProperty("result") String result,
        @JsonProperty("description") String description,
        @JsonProperty("origin") String origin,
        @JsonProperty("timestamp") double timestamp,
        @JsonProperty("level") String level,
        @JsonProperty("files") List<EventFile> files) {

    public static final String START = "start";
    public static final String PROGRESS = "progress";
    public static final String FINISH = "finish";
    public static final String SUCCESS = "SUCCESS";
    public static final String FAIL = "FAIL";

    public InstallEvent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(eventType, "eventType");
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** True for a finish event whose result says the step failed ({@code FAIL} or {@code FAILURE}). */
    public boolean failed() {
        return FINISH.equals(eventType) && result != null && result.startsWith("FAIL");
    }

    /** An attached file: {@code path}, {@code encoding: base64}, {@code content}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record EventFile(@JsonProperty("path") String path, @JsonProperty("encoding") String encoding,
                            @JsonProperty("content") String content) {
    }
}

package io.metalcast.engine.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.ephemeral.EphemeralImports;
import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.image.DeployableImage;
import io.metalcast.engine.machine.CurtinConfigs;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.Machines;
import io.metalcast.engine.metrics.EngineMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes aggregated requests (everything but uploads) to the services. Matching happens on the event loop; the work
 * and the rendering run on the blocking executor.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    static final Pattern MACHINES = Pattern.compile("/MAAS/api/2\\.0/machines/?");
    static final Pattern MACHINE = Pattern.compile("/MAAS/api/2\\.0/machines/([a-z0-9]{1,16})/?");
    static final Pattern RESOURCES = Pattern.compile("/MAAS/api/2\\.0/boot-resources/?");
    static final Pattern RESOURCE = Pattern.compile("/MAAS/api/2\\.0/boot-resources/([0-9]{1,18})/?");
    static final Pattern PRESEED = Pattern.compile("/MAAS/metadata/latest/by-id/([a-z0-9]{1,16})/([A-Za-z0-9]{1,64})/?");
    static final Pattern STATUS = Pattern.compile("/MAAS/metadata/status/([a-z0-9]{1,16})/?");
    static final Pattern USERS = Pattern.compile("/MAAS/api/2\\.0/users/?");
    static final Pattern DESCRIBE = Pattern.compile("/MAAS/api/2\\.0/describe/?");
    static final Pattern VERSION = Pattern.compile("/MAAS/api/2\\.0/version/?");

    private final Machines machines;
    private final BootResources resources;
    private final EngineMetrics metrics;
    private final Supplier<Urls> urls;
    private final Executor blocking;
    private final PrometheusMeterRegistry registry;
    private final Http http;
    private final MaasJson json;
    private final ObjectMapper mapper;
    private final Authenticator auth;
    private final Creates creates;
    private final EphemeralImports imports;

    ApiHandler(Machines machines, BootResources resources, EngineMetrics metrics, Supplier<Urls> urls, Executor blocking,
               PrometheusMeterRegistry registry, Http http, ObjectMapper mapper, Authenticator auth, Creates creates,
               EphemeralImports imports) {
        this.imports = imports;
        this.machines = machines;
        this.resources = resources;
        this.metrics = metrics;
        this.urls = urls;
        this.blocking = blocking;
        this.registry = registry;
        this.http = http;
        this.mapper = mapper;
        this.json = new MaasJson(mapper);
        this.auth = auth;
        this.creates = creates;
    }

    /** A matched route: its metric name and the work that answers it (run on the blocking executor). */
    private record Route(String name, Work work) {
    }

    @FunctionalInterface
    private interface Work {
        /** {@code user} is the key's username on key routes, else null. */
        Reply run(FullHttpRequest req, String user) throws Exception;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            http.send(ctx, "malformed", false, Reply.text(status, "request: malformed (" + cause.getMessage() + ")"), null);
            return;
        }
        QueryStringDecoder uri;
        try {
            uri = new QueryStringDecoder(req.uri());
            uri.path();
            uri.parameters();
        } catch (IllegalArgumentException e) {
            http.send(ctx, "malformed", false, Reply.text(HttpResponseStatus.BAD_REQUEST, "request: malformed URI"), null);
            return;
        }
        Route route = route(req.method(), uri);
        boolean needsKey = Authenticator.needsKey(uri.path());
        FullHttpRequest copy = req.retainedDuplicate();
        ctx.channel().config().setAutoRead(false);
        Runnable resume = () -> {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        };
        try {
            blocking.execute(() -> {
                Reply reply;
                try {
                    String user = needsKey ? auth.check(copy.headers()) : null;
                    reply = route.work().run(copy, user);
                } catch (Rejected e) {
                    reply = Reply.text(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
                } catch (Exception e) {
                    log.error("{} {}: {}", req.method(), uri.path(), e.toString(), e);
                    reply = Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getClass().getSimpleName());
                } finally {
                    copy.release();
                }
                http.send(ctx, route.name(), keepAlive, reply, resume);
            });
        } catch (RejectedExecutionException e) {
            copy.release();
            http.send(ctx, route.name(), false, Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down"), null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("api connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private Route route(HttpMethod method, QueryStringDecoder uri) {
        String path = uri.path();
        String op = first(uri.parameters(), "op");
        Matcher m;
        if (path.equals("/")) {
            return get("status_page", method, (r, u) -> statusPage());
        }
        if (path.equals("/metrics") || path.equals("/MAAS/metrics")) {
            return get("metrics", method, (r, u) -> metrics());
        }
        if (DESCRIBE.matcher(path).matches()) {
            return get("describe", method, (r, u) -> describe(r));
        }
        if (VERSION.matcher(path).matches()) {
            return get("version", method, (r, u) -> Reply.json(HttpResponseStatus.OK, json.write(Map.of("capabilities", List.of(),
                    "version", "metalcast", "subversion", ""))));
        }
        if (USERS.matcher(path).matches()) {
            if (!"whoami".equals(op)) {
                return new Route("users", (r, u) -> Reply.text(HttpResponseStatus.BAD_REQUEST, "op: '" + (op == null ? "" : op)
                        + "' (expected: whoami)"));
            }
            return get("whoami", method, (r, u) -> whoami(u));
        }
        if (MACHINES.matcher(path).matches()) {
            return get("machines", method, (r, u) -> Reply.json(HttpResponseStatus.OK,
                    json.write(machines.list().stream().map(MaasJson::machine).toList())));
        }
        if ((m = MACHINE.matcher(path)).matches()) {
            String id = m.group(1);
            if (method.equals(HttpMethod.GET)) {
                return new Route("machine", (r, u) -> Reply.json(HttpResponseStatus.OK, json.write(MaasJson.machine(machine(id)))));
            }
            if (method.equals(HttpMethod.POST)) {
                if (!"deploy".equals(op)) {
                    return new Route("machine_op", (r, u) -> Reply.text(HttpResponseStatus.BAD_REQUEST,
                            "op: '" + (op == null ? "" : op) + "' (expected: deploy)"));
                }
                return new Route("machine_deploy", (r, u) -> deploy(id, r));
            }
            return notAllowed("machine", "GET, POST");
        }
        if (RESOURCES.matcher(path).matches()) {
            if (method.equals(HttpMethod.POST) && op == null) {
                return new Route("upload", (r, u) -> createSmall(r));
            }
            if ("import".equals(op)) {
                return post("boot_resources_import", method, (r, u) -> {
                    imports.start();
                    return Reply.text(HttpResponseStatus.OK, "Import of boot resources started");
                });
            }
            if ("stop_import".equals(op)) {
                return post("boot_resources_stop_import", method, (r, u) -> Reply.text(HttpResponseStatus.OK, imports.stop()
                        ? "Import of boot resources is being stopped" : "No import of boot resources is running"));
            }
            if ("is_importing".equals(op)) {
                return get("boot_resources_is_importing", method, (r, u) -> Reply.json(HttpResponseStatus.OK,
                        json.write(imports.isImporting())));
            }
            if (method.equals(HttpMethod.POST)) {
                return new Route("boot_resources_op", (r, u) -> Reply.text(HttpResponseStatus.BAD_REQUEST, "op: '" + op
                        + "' (expected: none to create a boot resource, import, stop_import or is_importing)"));
            }
            String type = Optional.ofNullable(first(uri.parameters(), "type")).orElse("all");
            return get("boot_resources", method, (r, u) -> listResources(type));
        }
        if ((m = RESOURCE.matcher(path)).matches()) {
            long id = Long.parseLong(m.group(1));
            if (method.equals(HttpMethod.DELETE)) {
                return new Route("boot_resource_delete", (r, u) -> {
                    resources.delete(id);
                    metrics.refresh();
                    return Reply.empty(HttpResponseStatus.NO_CONTENT);
                });
            }
            if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
                return notAllowed("boot_resource", "GET, DELETE");
            }
            return get("boot_resource", method, (r, u) -> Reply.json(HttpResponseStatus.OK, json.write(MaasJson.resource(resources.get(id)
                    .orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "boot resource: " + id + " (expected: a known id)")), true))));
        }
        if (UploadHandler.UPLOAD.matcher(path).matches()) {
            return notAllowed("upload_chunk", "PUT");
        }
        if ((m = PRESEED.matcher(path)).matches()) {
            String id = m.group(1);
            String token = m.group(2);
            if (!"get_preseed".equals(op)) {
                return new Route("preseed", (r, u) -> Reply.text(HttpResponseStatus.NOT_FOUND, "op: '" + (op == null ? "" : op)
                        + "' (expected: get_preseed)"));
            }
            return get("preseed", method, (r, u) -> preseed(id, token));
        }
        if ((m = STATUS.matcher(path)).matches()) {
            String id = m.group(1);
            if (!method.equals(HttpMethod.POST)) {
                return notAllowed("webhook", "POST");
            }
            return new Route("webhook", (r, u) -> webhook(id, r));
        }
        return new Route("unknown", (r, u) -> Reply.text(HttpResponseStatus.NOT_FOUND, "not found: " + path));
    }

    private static Route get(String name, HttpMethod method, Work work) {
        if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            return new Route(name, work);
        }
        return notAllowed(name, "GET");
    }

    private static Route post(String name, HttpMethod method, Work work) {
        return method.equals(HttpMethod.POST) ? new Route(name, work) : notAllowed(name, "POST");
    }

    private static Route notAllowed(String name, String allow) {
        return new Route(name, (r, u) -> new Reply(HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                ("method not allowed (expected: " + allow + ")\n").getBytes(StandardCharsets.UTF_8), Map.of("Allow", allow)));
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> v = params.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private Machine machine(String id) {
        return machines.get(id).orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "machine: '" + id + "' (expected: a known system_id)"));
    }

    private Reply statusPage() {
        return new Reply(HttpResponseStatus.OK, "text/html; charset=utf-8",
                StatusPage.render(machines.list(), resources.list(), resources.countUploadedCustom(), machines.countDeployedCustom())
                        .getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private Reply describe(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST);
        String base = host == null || !host.matches("[A-Za-z0-9.:\\[\\]-]{1,255}") ? urls.get().api() : "http://" + host;
        // The maas CLI's login refuses any other Content-Type than exactly application/json.
        return new Reply(HttpResponseStatus.OK, "application/json", json.write(Describe.render(base)), Map.of());
    }

    private Reply whoami(String user) {
        Map<String, Object> j = new java.util.LinkedHashMap<>();
        j.put("username", user);
        j.put("email", "");
        j.put("is_superuser", true);
        j.put("is_local", true);
        j.put("resource_uri", MaasJson.API + "users/" + user + "/");
        return Reply.json(HttpResponseStatus.OK, json.write(j));
    }

    /** A create whose body fits the aggregation limit (the maas CLI's form without content, small images). */
    private Reply createSmall(FullHttpRequest req) throws java.io.IOException {
        String type = Optional.ofNullable(req.headers().get(HttpHeaderNames.CONTENT_TYPE)).orElse("");
        if (!type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            metrics.upload("rejected");
            throw new Rejected(Rejected.Kind.INVALID, "Content-Type: '" + type
                    + "' (expected: multipart/form-data with the form fields and a content part)");
        }
        Map<String, byte[]> parts;
        try {
            parts = Forms.parts(req);
        } catch (Forms.BadForm e) {
            metrics.upload("rejected");
            throw new Rejected(Rejected.Kind.INVALID, e.getMessage());
        }
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        parts.forEach((k, v) -> {
            if (!k.equals("content")) {
                fields.put(k, new String(v, StandardCharsets.UTF_8));
            }
        });
        java.nio.file.Path content = null;
        if (parts.containsKey("content")) {
            content = java.nio.file.Files.createTempFile(resources.store().tmpDir(), "upload-", ".part");
            java.nio.file.Files.write(content, parts.get("content"));
        }
        return creates.create(fields, content);
    }

    private Reply metrics() {
        metrics.refresh();
        return new Reply(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape().getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private Reply listResources(String type) {
        if (!List.of("all", "synced", "uploaded").contains(type)) {
            throw Rejected.invalid("type", type, "all, synced or uploaded");
        }
        List<BootResource> list = resources.list().stream()
                .filter(r -> type.equals("all") || r.resource().type().equalsIgnoreCase(type)).toList();
        return Reply.json(HttpResponseStatus.OK, json.write(list.stream().map(r -> MaasJson.resource(r, false)).toList()));
    }

    private Reply deploy(String id, FullHttpRequest req) {
        Map<String, String> form;
        try {
            form = Forms.parse(req);
        } catch (Forms.BadForm e) {
            throw new Rejected(Rejected.Kind.INVALID, e.getMessage());
        }
        Machine m = machines.deploy(id, form.get("distro_series"), form.getOrDefault("osystem", ""));
        return Reply.json(HttpResponseStatus.OK, json.write(MaasJson.machine(m)));
    }

    private Reply preseed(String id, String token) {
        Machine m = machines.preseedAccess(id, token)
                .orElseThrow(() -> new Rejected(Rejected.Kind.FORBIDDEN, "forbidden: no preseed for this machine and token"));
        DeployableImage image = resources.deployable(m.imageName(), m.arch()).orElseThrow(() -> new Rejected(Rejected.Kind.CONFLICT,
                "image '" + m.imageName() + "' for " + m.arch() + " is gone"));
        String yaml = CurtinYaml.render(CurtinConfigs.render(m, image, urls.get(), resources.blockMap(image), resources.rawView(image)));
        return new Reply(HttpResponseStatus.OK, "application/yaml; charset=utf-8", yaml.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private Reply webhook(String id, FullHttpRequest req) {
        Optional<OAuth> auth = OAuth.parse(req.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (auth.isEmpty() || machines.authenticate(id, auth.get().consumerKey(), auth.get().token(), auth.get().signature()).isEmpty()) {
            return Reply.text(HttpResponseStatus.UNAUTHORIZED, "Authorization Error: Invalid API key.");
        }
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        InstallEvent event;
        try {
            event = mapper.readValue(body, InstallEvent.class);
        } catch (JsonProcessingException e) {
            return Reply.text(HttpResponseStatus.BAD_REQUEST, "body: not an install event (expected: JSON with name and event_type)");
        } catch (java.io.IOException e) {
            return Reply.text(HttpResponseStatus.BAD_REQUEST, "body: unreadable");
        }
        if (event == null) {
            return Reply.text(HttpResponseStatus.BAD_REQUEST, "body: empty (expected: JSON with name and event_type)");
        }
        machines.report(id, event);
        return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
}

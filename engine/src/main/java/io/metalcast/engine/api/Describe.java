package io.metalcast.engine.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /MAAS/api/2.0/describe/}: the handlers and actions this engine serves, in the shape MAAS's describe
 * handler gives them. The maas CLI builds its commands from it at {@code maas login}: per resource {@code name},
 * {@code anon}, {@code auth}; per handler {@code path}, {@code params}, {@code doc}, {@code actions}; per action
 * {@code name}, {@code method}, {@code op}, {@code doc}, whose {@code :param} lines after the first paragraph allow
 * {@code key=value} arguments.
 */
final class Describe {
    private static final String API = MaasJson.API;

    private Describe() {
    }

    static Map<String, Object> render(String baseUrl) {
        List<Object> resources = new ArrayList<>();
        resources.add(resource("UsersHandler", false, handler(baseUrl, "UsersHandler", "Manage the user accounts of this MAAS.", "users/",
                List.of(), action("whoami", "GET", "whoami", "Returns the currently logged in user."))));
        resources.add(resource("VersionHandler", true, handler(baseUrl, "VersionHandler", "Information about this MAAS instance.",
                "version/", List.of(), action("read", "GET", null, "Read version and capabilities."))));
        resources.add(resource("BootResourcesHandler", false, handler(baseUrl, "BootResourcesHandler", "Manage the boot resources.",
                "boot-resources/", List.of(),
                action("read", "GET", null, "List all boot resources.\n\n:param type: Type of boot resources to list: all, synced or"
                        + " uploaded. Defaults to all.\n:type type: String\n"),
                action("create", "POST", null, "Uploads a new boot resource.\n\n"
                        + ":param name: Name of the boot resource, e.g. custom/jammy-web.\n:type name: String\n\n"
                        + ":param architecture: Architecture the boot resource supports, e.g. amd64/generic.\n:type architecture: String\n\n"
                        + ":param sha256: The sha256 of the content.\n:type sha256: String\n\n"
                        + ":param size: The size of the content in bytes.\n:type size: String\n\n"
                        + ":param title: Title for the boot resource.\n:type title: String\n\n"
                        + ":param filetype: Filetype: tgz, tbz, txz, ddtgz, ddtar, ddtbz, ddtxz, ddbz2, ddgz, ddxz, ddraw or ddzst."
                        + " Default: tgz.\n:type filetype: String\n\n"
                        + ":param base_image: The base image of a custom image, e.g. ubuntu/jammy.\n:type base_image: String\n\n"
                        + ":param content: Image content.\n:type content: String\n"))));
        resources.add(resource("BootResourceHandler", false, handler(baseUrl, "BootResourceHandler", "Manage a boot resource.",
                "boot-resources/{id}/", List.of("id"),
                action("read", "GET", null, "Reads a boot resource by id.\n\n:param id: The boot resource id.\n:type id: String\n"),
                action("delete", "DELETE", null, "Deletes a boot resource by id.\n\n:param id: The boot resource id.\n:type id: String\n"))));
        resources.add(resource("BootResourceFileUploadHandler", false, handler(baseUrl, "BootResourceFileUploadHandler",
                "Upload a boot resource file.", "boot-resources/{resource_id}/upload/{id}/", List.of("resource_id", "id"),
                action("update", "PUT", null, "Upload a chunk of a boot resource file; chunks are appended in order."))));
        resources.add(resource("MachinesHandler", false, handler(baseUrl, "MachinesHandler", "Manage the collection of all machines.",
                "machines/", List.of(), action("read", "GET", null, "List machines."))));
        resources.add(resource("MachineHandler", false, handler(baseUrl, "MachineHandler", "Manage an individual machine.",
                "machines/{system_id}/", List.of("system_id"),
                action("read", "GET", null, "Reads a machine with the given system_id.\n\n:param system_id: A machine system_id.\n"
                        + ":type system_id: String\n"),
                action("deploy", "POST", "deploy", "Deploy an operating system to a machine.\n\n"
                        + ":param distro_series: The image to deploy, e.g. custom/jammy-web.\n:type distro_series: String\n\n"
                        + ":param osystem: The OS, e.g. custom, when distro_series names only the series.\n:type osystem: String\n\n"
                        + ":param user_data: Base64-encoded user data (not used yet).\n:type user_data: String\n"))));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("doc", "MAAS API");
        out.put("handlers", List.of());
        out.put("resources", resources);
        return out;
    }

    private static Map<String, Object> resource(String name, boolean anonymous, Map<String, Object> handler) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("anon", anonymous ? handler : null);
        r.put("auth", handler);
        return r;
    }

    private static Map<String, Object> handler(String baseUrl, String name, String doc, String path, List<String> params,
                                               Map<?, ?>... actions) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("name", name);
        h.put("doc", doc);
        h.put("params", params);
        h.put("path", API + path);
        h.put("uri", baseUrl + API + path);
        h.put("actions", List.of(actions));
        return h;
    }

    private static Map<String, Object> action(String name, String method, String op, String doc) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("name", name);
        a.put("method", method);
        a.put("op", op);
        a.put("restful", op == null);
        a.put("doc", doc);
        return a;
    }
}

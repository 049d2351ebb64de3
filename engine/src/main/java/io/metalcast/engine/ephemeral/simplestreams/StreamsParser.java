package io.metalcast.engine.ephemeral.simplestreams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Parses unsigned simplestreams JSON: {@code index:1.0} and {@code products:1.0}. Scalar keys at the top, product,
 * version and item levels are inherited downwards. Signed ({@code .sjson}) text is never handed to this parser.
 */
public final class StreamsParser {
    private static final Set<String> STRUCTURE = Set.of("products", "versions", "items", "index");
    private final ObjectMapper mapper = new ObjectMapper();

    /** Parses an index or a products file, by its {@code format} (or, if absent, by which of index/products it has). */
    public StreamDocument parse(InputStream in, String source) throws SimplestreamsException {
        JsonNode root;
        try {
            root = mapper.readTree(in);
        } catch (JsonProcessingException e) {
            throw new SimplestreamsException(Kind.MALFORMED, source + ": not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new SimplestreamsException(Kind.TRANSFER, source + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new SimplestreamsException(Kind.MALFORMED, source + ": not a JSON object");
        }
        String format = text(root.get("format"));
        if (format.equals("index:1.0") || (format.isEmpty() && root.has("index"))) {
            return parseIndex(root, source);
        }
        if (format.equals("products:1.0") || (format.isEmpty() && root.has("products"))) {
            return parseProducts(root, source);
        }
        throw new SimplestreamsException(Kind.MALFORMED, source + ": format '" + format + "' (expected: index:1.0 or products:1.0)");
    }

    private static StreamIndex parseIndex(JsonNode root, String source) throws SimplestreamsException {
        JsonNode index = root.get("index");
        if (index == null || !index.isObject()) {
            throw new SimplestreamsException(Kind.MALFORMED, source + ": no 'index' object");
        }
        List<StreamIndex.IndexEntry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = index.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isObject() || text(v.get("path")).isEmpty()) {
                throw new SimplestreamsException(Kind.MALFORMED, source + ": index entry '" + e.getKey() + "' has no path");
            }
            List<String> products = new ArrayList<>();
            JsonNode p = v.get("products");
            if (p != null && p.isArray()) {
                p.forEach(x -> products.add(x.asText()));
            }
            entries.add(new StreamIndex.IndexEntry(e.getKey(), text(v.get("datatype")), text(v.get("format")), text(v.get("path")), products));
        }
        return new StreamIndex(entries);
    }

    private static ProductsFile parseProducts(JsonNode root, String source) throws SimplestreamsException {
        JsonNode products = root.get("products");
        if (products == null || !products.isObject()) {
            throw new SimplestreamsException(Kind.MALFORMED, source + ": no 'products' object");
        }
        Map<String, String> top = scalars(root, Map.of());
        List<StreamProduct> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> pit = products.fields(); pit.hasNext(); ) {
            Map.Entry<String, JsonNode> pe = pit.next();
            JsonNode pnode = pe.getValue();
            if (!pnode.isObject()) {
                throw new SimplestreamsException(Kind.MALFORMED, source + ": product '" + pe.getKey() + "' is not an object");
            }
            Map<String, String> pkeys = scalars(pnode, top);
            TreeMap<String, StreamVersion> versions = new TreeMap<>();
            JsonNode vnodes = pnode.get("versions");
            if (vnodes != null && vnodes.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> vit = vnodes.fields(); vit.hasNext(); ) {
                    Map.Entry<String, JsonNode> ve = vit.next();
                    if (!ve.getValue().isObject()) {
                        throw new SimplestreamsException(Kind.MALFORMED, source + ": " + pe.getKey() + " version '" + ve.getKey() + "' is not an object");
                    }
                    versions.put(ve.getKey(), version(ve.getKey(), ve.getValue(), pkeys, source + ": " + pe.getKey()));
                }
            }
            out.add(new StreamProduct(pe.getKey(), pkeys, versions));
        }
        return new ProductsFile(text(root.get("content_id")), top, out);
    }

    private static StreamVersion version(String serial, JsonNode vnode, Map<String, String> inherited, String where)
            throws SimplestreamsException {
        Map<String, String> vkeys = scalars(vnode, inherited);
        TreeMap<String, StreamItem> items = new TreeMap<>();
        JsonNode inodes = vnode.get("items");
        if (inodes != null && inodes.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = inodes.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> ie = it.next();
                if (!ie.getValue().isObject()) {
                    throw new SimplestreamsException(Kind.MALFORMED, where + " " + serial + " item '" + ie.getKey() + "' is not an object");
                }
                Map<String, String> ikeys = scalars(ie.getValue(), vkeys);
                long size = -1;
                String s = ikeys.getOrDefault("size", "");
                if (!s.isEmpty()) {
                    try {
                        size = Long.parseLong(s);
                    } catch (NumberFormatException e) {
                        throw new SimplestreamsException(Kind.MALFORMED, where + " " + serial + " item '" + ie.getKey() + "': size '" + s
                                + "' (expected: a whole number of bytes)");
                    }
                }
                items.put(ie.getKey(), new StreamItem(ie.getKey(), ikeys.getOrDefault("ftype", ""), ikeys.getOrDefault("path", ""),
                        ikeys.getOrDefault("sha256", ""), size, ikeys));
            }
        }
        return new StreamVersion(serial, items);
    }

    /** The node's scalar fields over the inherited ones; arrays of scalars become comma-separated strings. */
    private static Map<String, String> scalars(JsonNode node, Map<String, String> inherited) {
        Map<String, String> out = new HashMap<>(inherited);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (STRUCTURE.contains(e.getKey())) {
                continue;
            }
            if (v.isValueNode() && !v.isNull()) {
                out.put(e.getKey(), v.asText());
            } else if (v.isArray()) {
                List<String> parts = new ArrayList<>();
                v.forEach(x -> {
                    if (x.isValueNode() && !x.isNull()) {
                        parts.add(x.asText());
                    }
                });
                out.put(e.getKey(), String.join(",", parts));
            }
        }
        return out;
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || !n.isValueNode() ? "" : n.asText();
    }
}

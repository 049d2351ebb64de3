package io.metalcast.curtin.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Which blocks of a raw disk image hold data, each run with its sha256: bmaptool's block map ({@code .bmap}, format
 * 2.0), so {@code bmaptool copy --bmap} reads the maps the engine makes and the installer reads maps bmaptool makes.
 * Blocks outside the ranges are all zeros in the image (the engine maps by content, not by file holes), so a target
 * that reads as zeros needs only the mapped ranges fetched, written and verified.
 *
 * @param imageSize bytes in the image; the last block may be partial
 * @param blockSize bytes per block, a power of two from 512 to 1 MiB
 * @param ranges    runs of mapped blocks, ascending and not overlapping
 */
public record BlockMap(long imageSize, int blockSize, List<Range> ranges) {
    /** The block size of the maps the engine makes (the ext4 and page size). */
    public static final int DEFAULT_BLOCK_SIZE = 4096;
    /** Maps larger than this are refused unread (a 4 GiB image in 4 KiB blocks, every other one mapped, is about 100 MiB). */
    public static final int MAX_FILE_BYTES = 128 << 20;
    private static final String ZERO_SUM = "0".repeat(64);
    private static final Pattern RANGE = Pattern.compile("(\\d+)(?:-(\\d+))?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * One run of mapped blocks.
     *
     * @param first  first block, inclusive
     * @param last   last block, inclusive
     * @param sha256 sha256 of the range's bytes (the last block cut at the image's end)
     */
    public record Range(long first, long last, String sha256) {
        public Range {
            if (first < 0 || last < first) {
                throw new IllegalArgumentException("range: " + first + "-" + last + " (expected: 0 <= first <= last)");
            }
            Objects.requireNonNull(sha256, "sha256");
            if (!SHA256.matcher(sha256).matches()) {
                throw new IllegalArgumentException("range " + first + "-" + last + " chksum: '" + sha256
                        + "' (expected: 64 lowercase hex digits)");
            }
        }

        public long blocks() {
            return last - first + 1;
        }
    }

    public BlockMap {
        if (imageSize < 0) {
            throw new IllegalArgumentException("ImageSize: " + imageSize + " (expected: >= 0)");
        }
        if (blockSize < 512 || blockSize > (1 << 20) || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("BlockSize: " + blockSize + " (expected: a power of two, 512..1048576)");
        }
        ranges = List.copyOf(ranges);
        long blocks = (imageSize + blockSize - 1) / blockSize;
        long next = 0;
        for (Range r : ranges) {
            if (r.first() < next) {
                throw new IllegalArgumentException("range " + r.first() + "-" + r.last() + " (expected: ascending, not overlapping, after block "
                        + (next - 1) + ")");
            }
            if (r.last() >= blocks) {
                throw new IllegalArgumentException("range " + r.first() + "-" + r.last() + " (expected: below BlocksCount " + blocks + ")");
            }
            next = r.last() + 1;
        }
    }

    public long blocksCount() {
        return (imageSize + blockSize - 1) / blockSize;
    }

    public long mappedBlocks() {
        return ranges.stream().mapToLong(Range::blocks).sum();
    }

    /** First byte of a range. */
    public long start(Range r) {
        return r.first() * blockSize;
    }

    /** Byte after a range's last (at most the image size). */
    public long end(Range r) {
        return Math.min((r.last() + 1) * blockSize, imageSize);
    }

    /** Bytes inside the ranges. */
    public long mappedBytes() {
        return ranges.stream().mapToLong(r -> end(r) - start(r)).sum();
    }

    /**
     * Maps {@code image} by content: every block holding a non-zero byte is mapped, runs of them become ranges, each
     * hashed. Reads the file once; blocking.
     */
    public static BlockMap scan(Path image, int blockSize) throws IOException {
        BlockMapBuilder builder = new BlockMapBuilder(blockSize);
        try (FileChannel in = FileChannel.open(image, StandardOpenOption.READ)) {
            long size = in.size();
            byte[] buf = new byte[Math.max(blockSize, 4 << 20) / blockSize * blockSize];
            InputStream stream = Channels.newInputStream(in);
            long pos = 0;
            while (pos < size) {
                int want = (int) Math.min(buf.length, size - pos);
                int n = stream.readNBytes(buf, 0, want);
                if (n < want) {
                    throw new IOException(image + " shrank to " + (pos + n) + " bytes while being mapped (expected: " + size + ")");
                }
                for (int off = 0; off < n; off += blockSize) {
                    builder.add(buf, off, Math.min(blockSize, n - off));
                }
                pos += n;
            }
        }
        return builder.build();
    }

    /** The {@code .bmap} file: bmaptool's format 2.0, its {@code BmapFileChecksum} filled in. */
    public byte[] render() {
        String body = xml(ZERO_SUM);
        return xml(Sha256.of(body.getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
    }

    private String xml(String fileSum) {
        StringBuilder s = new StringBuilder(256 + ranges.size() * 100);
        s.append("<?xml version=\"1.0\" ?>\n")
                .append("<!-- Block map of a raw disk image made by metalcast: blocks outside the ranges are all zeros. -->\n")
                .append("<bmap version=\"2.0\">\n")
                .append("    <ImageSize> ").append(imageSize).append(" </ImageSize>\n")
                .append("    <BlockSize> ").append(blockSize).append(" </BlockSize>\n")
                .append("    <BlocksCount> ").append(blocksCount()).append(" </BlocksCount>\n")
                .append("    <MappedBlocksCount> ").append(mappedBlocks()).append(" </MappedBlocksCount>\n")
                .append("    <ChecksumType> sha256 </ChecksumType>\n")
                .append("    <BmapFileChecksum> ").append(fileSum).append(" </BmapFileChecksum>\n")
                .append("    <BlockMap>\n");
        for (Range r : ranges) {
            s.append("        <Range chksum=\"").append(r.sha256()).append("\"> ").append(r.first());
            if (r.last() != r.first()) {
                s.append('-').append(r.last());
            }
            s.append(" </Range>\n");
        }
        return s.append("    </BlockMap>\n</bmap>\n").toString();
    }

    /**
     * Reads a {@code .bmap} file of format 2.x with sha256 checksums, verifying its {@code BmapFileChecksum} and that
     * the counts agree with the ranges. No DTDs, no entities.
     */
    public static BlockMap parse(byte[] file) throws IOException {
        if (file.length > MAX_FILE_BYTES) {
            throw new IOException("bmap: " + file.length + " bytes (expected: at most " + MAX_FILE_BYTES + ")");
        }
        Element root = document(file).getDocumentElement();
        if (!root.getTagName().equals("bmap")) {
            throw new IOException("bmap: root element <" + root.getTagName() + "> (expected: <bmap>)");
        }
        String version = root.getAttribute("version");
        if (!version.startsWith("2.")) {
            throw new IOException("bmap: version '" + version + "' (expected: 2.x)");
        }
        String type = text(root, "ChecksumType").toLowerCase(Locale.ROOT);
        if (!type.equals("sha256")) {
            throw new IOException("bmap: ChecksumType " + type + " (expected: sha256)");
        }
        String fileSum = text(root, "BmapFileChecksum").toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(fileSum).matches()) {
            throw new IOException("bmap: BmapFileChecksum '" + fileSum + "' (expected: 64 hex digits)");
        }
        String zeroed = new String(file, StandardCharsets.UTF_8).replace(text(root, "BmapFileChecksum"), ZERO_SUM);
        String actual = Sha256.of(zeroed.getBytes(StandardCharsets.UTF_8));
        if (!actual.equals(fileSum)) {
            throw new IOException("bmap: file checksum " + actual + " (expected: BmapFileChecksum " + fileSum + "): the map is damaged");
        }
        long imageSize = number(root, "ImageSize");
        long blockSize = number(root, "BlockSize");
        long blocksCount = number(root, "BlocksCount");
        long mappedCount = number(root, "MappedBlocksCount");
        NodeList maps = root.getElementsByTagName("BlockMap");
        if (maps.getLength() != 1) {
            throw new IOException("bmap: " + maps.getLength() + " <BlockMap> elements (expected: 1)");
        }
        List<Range> ranges = new ArrayList<>();
        NodeList children = maps.item(0).getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node n = children.item(i);
            if (n instanceof Element e) {
                if (!e.getTagName().equals("Range")) {
                    throw new IOException("bmap: <" + e.getTagName() + "> in <BlockMap> (expected: <Range>)");
                }
                Matcher m = RANGE.matcher(e.getTextContent().strip());
                if (!m.matches()) {
                    throw new IOException("bmap: range '" + e.getTextContent().strip() + "' (expected: FIRST or FIRST-LAST)");
                }
                try {
                    long first = Long.parseLong(m.group(1));
                    long last = m.group(2) == null ? first : Long.parseLong(m.group(2));
                    ranges.add(new Range(first, last, e.getAttribute("chksum").strip().toLowerCase(Locale.ROOT)));
                } catch (IllegalArgumentException bad) {
                    throw new IOException("bmap: " + bad.getMessage(), bad);
                }
            }
        }
        BlockMap map;
        try {
            if (blockSize > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("BlockSize: " + blockSize + " (expected: a power of two, 512..1048576)");
            }
            map = new BlockMap(imageSize, (int) blockSize, ranges);
        } catch (IllegalArgumentException bad) {
            throw new IOException("bmap: " + bad.getMessage(), bad);
        }
        if (map.blocksCount() != blocksCount) {
            throw new IOException("bmap: BlocksCount " + blocksCount + " (expected: " + map.blocksCount() + " for ImageSize " + imageSize
                    + " in blocks of " + blockSize + ")");
        }
        if (map.mappedBlocks() != mappedCount) {
            throw new IOException("bmap: MappedBlocksCount " + mappedCount + " (expected: " + map.mappedBlocks() + ", the sum of the ranges)");
        }
        return map;
    }

    private static Document document(byte[] file) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(file));
        } catch (SAXException e) {
            throw new IOException("bmap: not well-formed XML: " + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser lacks secure processing", e);
        }
    }

    private static String text(Element root, String tag) throws IOException {
        NodeList l = root.getElementsByTagName(tag);
        if (l.getLength() != 1) {
            throw new IOException("bmap: " + l.getLength() + " <" + tag + "> elements (expected: 1)");
        }
        return l.item(0).getTextContent().strip();
    }

    private static long number(Element root, String tag) throws IOException {
        String t = text(root, tag);
        try {
            long v = Long.parseLong(t);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IOException("bmap: " + tag + " '" + t + "' (expected: a non-negative integer)");
        }
    }
}

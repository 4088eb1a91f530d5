package dev.spcheck.oracle;

import java.nio.charset.StandardCharsets;

/**
 * The operator ID Flink derives from a uid: murmur3_128 with seed 0 over the uid's UTF-8 bytes, as Guava's
 * Hashing.murmur3_128(0).hashString(uid, UTF_8) (StreamGraphHasherV2.generateUserSpecifiedHash), in hex.
 * Written out here because each Flink version shades another Guava.
 */
final class Murmur3 {
    private Murmur3() {}

    static String uidHash(String uid) {
        byte[] d = uid.getBytes(StandardCharsets.UTF_8);
        long h1 = 0, h2 = 0;
        final long c1 = 0x87c37b91114253d5L, c2 = 0x4cf5ad432745937fL;
        int n = d.length / 16;
        for (int i = 0; i < n; i++) {
            long k1 = le(d, i * 16), k2 = le(d, i * 16 + 8);
            k1 *= c1; k1 = Long.rotateLeft(k1, 31); k1 *= c2; h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
            k2 *= c2; k2 = Long.rotateLeft(k2, 33); k2 *= c1; h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
        }
        long k1 = 0, k2 = 0;
        int t = n * 16, rem = d.length - t;
        for (int i = rem - 1; i >= 8; i--) k2 ^= (d[t + i] & 0xffL) << ((i - 8) * 8);
        for (int i = Math.min(rem, 8) - 1; i >= 0; i--) k1 ^= (d[t + i] & 0xffL) << (i * 8);
        if (rem > 8) { k2 *= c2; k2 = Long.rotateLeft(k2, 33); k2 *= c1; h2 ^= k2; }
        if (rem > 0) { k1 *= c1; k1 = Long.rotateLeft(k1, 31); k1 *= c2; h1 ^= k1; }
        h1 ^= d.length; h2 ^= d.length;
        h1 += h2; h2 += h1;
        h1 = fmix(h1); h2 = fmix(h2);
        h1 += h2; h2 += h1;
        // Guava's asBytes(): h1 then h2, each little-endian
        StringBuilder sb = new StringBuilder(32);
        for (long h : new long[] {h1, h2}) for (int i = 0; i < 8; i++) sb.append(String.format("%02x", (h >>> (8 * i)) & 0xff));
        return sb.toString();
    }

    private static long le(byte[] d, int o) {
        long r = 0;
        for (int i = 7; i >= 0; i--) r = (r << 8) | (d[o + i] & 0xffL);
        return r;
    }

    private static long fmix(long k) {
        k ^= k >>> 33; k *= 0xff51afd7ed558ccdL; k ^= k >>> 33; k *= 0xc4ceb9fe1a85ec53L; k ^= k >>> 33;
        return k;
    }
}

package dev.spcheck.oracle;

/** A small JSON writer, indented, with stable field order. */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    private int depth;
    private boolean first = true;
    private boolean afterField;

    private void sep() {
        if (afterField) {
            afterField = false;
            return;
        }
        if (!first) sb.append(',');
        if (depth > 0) sb.append('\n').append("  ".repeat(depth));
        first = false;
    }

    Json open(char c) {
        sep();
        sb.append(c);
        depth++;
        first = true;
        return this;
    }

    Json close(char c) {
        depth--;
        if (!first) sb.append('\n').append("  ".repeat(depth));
        sb.append(c);
        first = false;
        return this;
    }

    Json field(String name) {
        sep();
        quote(name);
        sb.append(": ");
        afterField = true;
        return this;
    }

    Json str(String s) {
        sep();
        if (s == null) sb.append("null"); else quote(s);
        return this;
    }

    Json num(long n) {
        sep();
        sb.append(n);
        return this;
    }

    Json bool(boolean b) {
        sep();
        sb.append(b);
        return this;
    }

    private void quote(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
            }
        }
        sb.append('"');
    }

    @Override public String toString() {
        return sb.toString();
    }
}

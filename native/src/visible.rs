//! `visibleText` of src/util/visible.ts (decision 0715) for text this client prints: characters that
//! are invisible, reorder the text around them or pass for a plain space are written out as
//! `<U+XXXX>`. The ranges are the code points its pattern matches under Node's Unicode tables
//! (control characters other than newline and tab, category Cf, Zl, Zp, every space other than
//! U+0020, variation selectors and the blank letters); test/e2e/native-requests.test.ts compares
//! the two over every code point.

const INVISIBLE: &[(u32, u32)] = &[
    (0x0, 0x8),
    (0xb, 0x1f),
    (0x7f, 0xa0),
    (0xad, 0xad),
    (0x34f, 0x34f),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x115f, 0x1160),
    (0x1680, 0x1680),
    (0x17b4, 0x17b5),
    (0x180b, 0x180f),
    (0x2000, 0x200f),
    (0x2028, 0x202f),
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x2800, 0x2800),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xfe00, 0xfe0f),
    (0xfeff, 0xfeff),
    (0xffa0, 0xffa0),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x1343f),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
    (0xe0100, 0xe01ef),
];

pub fn invisible(c: char) -> bool {
    let cp = c as u32;
    INVISIBLE
        .binary_search_by(|&(from, to)| {
            if to < cp {
                std::cmp::Ordering::Less
            } else if from > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Append `s` as one line of the listing shows it: `visibleText(s)` with newlines written out too
/// (`shown` in src/cli/commands/requests.ts).
pub fn push_shown(out: &mut String, s: &str) {
    for c in s.chars() {
        if c == '\n' || invisible(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_out_what_cannot_be_seen() {
        let mut s = String::new();
        push_shown(
            &mut s,
            "a\tb\nc\u{202e}d\u{0}\u{7f}\u{a0} \u{200b}\u{e0041}é😀\u{fffd}",
        );
        assert_eq!(
            s,
            "a\tb<U+000A>c<U+202E>d<U+0000><U+007F><U+00A0> <U+200B><U+E0041>é😀\u{fffd}"
        );
    }

    #[test]
    fn keeps_the_table_sorted_and_apart() {
        for w in INVISIBLE.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 + 1 < w[1].0, "{:x?}", w);
        }
        assert!(invisible('\u{e01ef}') && !invisible('\u{e01f0}') && !invisible('\n'));
    }
}

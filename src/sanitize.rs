//! Foreign text on its way to a terminal: server error descriptions, device codes and
//! URLs, callback parameters, file contents. One function, applied where the text is
//! parsed, so that what reaches a print site is already inert.

/// What a bounded text ends with when it was cut.
pub const ELLIPSIS: char = '…';

/// Characters that reorder what a terminal shows or show nothing at all, so that text
/// reads other than it is: the bidirectional marks, embeddings, overrides and isolates,
/// the Unicode line and paragraph separators, zero-width spaces and joiners' cousins
/// (U+200B, U+200C, U+2060, U+FEFF) and the tag characters. The zero-width joiner
/// (U+200D) stays: emoji sequences need it, and it hides nothing by itself.
pub(crate) fn hides_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{61c}'
            | '\u{200b}'
            | '\u{200c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// JSON text made inert for a terminal without changing what it says: serde_json
/// escapes C0 controls, `"` and `\\` only, so the C1 controls (U+0080..U+009F, 8-bit
/// CSI and OSC among them), DEL, the bidirectional overrides and isolates and the
/// Unicode line separators of a server's strings would reach the terminal raw. Each
/// becomes its `\\uXXXX` escape: the same JSON value, no effect on a terminal. Every
/// such character can only be inside a string (JSON's own syntax is ASCII), where the
/// escape is valid.
pub fn json_inert(json: String) -> String {
    let risky = |c: char| matches!(c, '\u{7f}'..='\u{9f}') || hides_or_reorders(c);
    if !json.contains(risky) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            // JSON escapes UTF-16 units: a character beyond U+FFFF (the tag
            // characters) is a surrogate pair, or it would read back as another one.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with every control stripped and its length bounded to `max_chars` characters
/// (the last of which is "…" when it was cut).
///
/// Removed: whole escape sequences (ESC followed by a CSI `ESC [ ... final`, an OSC
/// `ESC ] ... BEL|ST`, DCS/SOS/PM/APC strings up to ST, or a two-character escape), their
/// 8-bit C1 forms (U+009B CSI, U+009D OSC, ...), every other C0 and C1 control and DEL,
/// and the bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069) that
/// reorder what a terminal shows. Line breaks and tabs become a space, so the result is
/// one line; runs of whitespace are not otherwise touched.
pub fn foreign(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut count = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = match c {
            '\u{1b}' => {
                skip_escape(&mut chars);
                None
            }
            // C1 introducers of strings or sequences: skip their payload too.
            '\u{9b}' => {
                skip_csi(&mut chars);
                None
            }
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => {
                skip_string(&mut chars);
                None
            }
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            '\u{2028}' | '\u{2029}' => Some(' '),
            c if hides_or_reorders(c) => None,
            c => Some(c),
        };
        let Some(c) = keep else { continue };
        if count == max_chars {
            // Over the bound: replace the last kept character by the ellipsis.
            if max_chars > 0 {
                out.pop();
                out.push(ELLIPSIS);
            }
            return out;
        }
        out.push(c);
        count += 1;
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After an ESC: a CSI, a string (OSC, DCS, SOS, PM, APC) or a short escape.
fn skip_escape(chars: &mut Chars) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // ECMA-48 5.3: intermediate bytes 0x20..0x2F, then one final byte 0x30..0x7E.
        Some(_) => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        None => {}
    }
}

/// A control sequence's parameter and intermediate bytes, then its final byte
/// (0x40..0x7E). Anything else ends it early, unconsumed.
fn skip_csi(chars: &mut Chars) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// A control string, up to and including its terminator: BEL, ST (ESC \ or U+009C).
/// An unterminated string swallows the rest of the text, as a terminal would.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        foreign(s, 1000)
    }

    #[test]
    fn plain_text_is_unchanged() {
        for s in [
            "",
            "Token is not active",
            "Invalid client or Invalid client credentials",
            "ünïcödé, 日本語, emoji 🙂",
            "a  b", // inner whitespace is kept
            "https://example.com/device?code=ABCD-EFGH",
        ] {
            assert_eq!(clean(s), s);
        }
    }

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(clean("a\x1b[2Jb"), "ab");
        assert_eq!(clean("\x1b[H\x1b[2J\x1b[3Jlogged in"), "logged in");
        assert_eq!(clean("\x1b[1;31mred\x1b[0m"), "red");
        assert_eq!(clean("x\x1b[?25ly"), "xy");
        // 8-bit CSI.
        assert_eq!(clean("a\u{9b}31mb"), "ab");
        // A CSI cut short by a non-parameter character keeps that character.
        assert_eq!(clean("a\x1b[12\u{e9}b"), "a\u{e9}b");
    }

    #[test]
    fn osc_strings_are_removed_whole_with_either_terminator() {
        // An OSC 8 hyperlink spoof: only the visible text stays.
        let spoof = "\x1b]8;;https://evil.example/\x1b\\https://good.example/\x1b]8;;\x1b\\";
        assert_eq!(clean(spoof), "https://good.example/");
        assert_eq!(clean("a\x1b]0;title\x07b"), "ab");
        assert_eq!(clean("a\u{9d}0;title\u{9c}b"), "ab");
        // Every 8-bit string introducer (DCS, SOS, OSC, PM, APC) swallows its payload.
        for c1 in ['\u{90}', '\u{98}', '\u{9d}', '\u{9e}', '\u{9f}'] {
            assert_eq!(clean(&format!("a{c1}payload\u{9c}b")), "ab", "{c1:?}");
            assert_eq!(clean(&format!("a{c1}payload\x07b")), "ab", "{c1:?}");
        }
        assert_eq!(clean("a\x1bPdcs payload\x1b\\b"), "ab");
        assert_eq!(clean("a\x1b_apc\x07b"), "ab");
        // Unterminated: the rest is the string's payload.
        assert_eq!(clean("a\x1b]0;never ends"), "a");
    }

    #[test]
    fn short_escapes_are_removed_whole() {
        assert_eq!(clean("a\x1bcb"), "ab"); // RIS: full reset
        assert_eq!(clean("a\x1b(Bb"), "ab"); // charset designation
        assert_eq!(clean("a\x1b7b\x1b8c"), "abc");
        assert_eq!(clean("trailing\x1b"), "trailing");
    }

    #[test]
    fn controls_and_bidi_overrides_are_removed() {
        assert_eq!(clean("a\rb\nc\td"), "a b c d");
        assert_eq!(clean("a\u{0}\u{7}\u{8}\u{7f}b"), "ab");
        assert_eq!(clean("a\u{85}\u{9c}b"), "ab");
        assert_eq!(clean("\u{202e}txt.exe"), "txt.exe");
        for c in ['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}'] {
            assert_eq!(clean(&format!("x{c}y")), "xy", "{:?}", c);
        }
        for c in ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert_eq!(clean(&format!("x{c}y")), "xy", "{:?}", c);
        }
        // Marks and invisible characters that make text read other than it is.
        for c in [
            '\u{61c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200e}',
            '\u{200f}',
            '\u{2060}',
            '\u{feff}',
            '\u{e0001}',
            '\u{e007f}',
        ] {
            assert_eq!(clean(&format!("x{c}y")), "xy", "{:?}", c);
        }
        assert_eq!(
            clean("a\u{2028}b\u{2029}c"),
            "a b c",
            "line separators: one line"
        );
        assert_eq!(
            clean("👩\u{200d}💻"),
            "👩\u{200d}💻",
            "emoji keep their joiner"
        );
        // The neighbours of the bidi ranges are ordinary text.
        assert_eq!(clean("\u{2029}\u{202f}\u{2065}\u{206a}").chars().count(), 4);
    }

    #[test]
    fn the_length_is_bounded_with_an_ellipsis() {
        assert_eq!(foreign("abcdef", 6), "abcdef");
        assert_eq!(foreign("abcdefg", 6), "abcde…");
        assert_eq!(foreign("abcdefg", 6).chars().count(), 6);
        assert_eq!(foreign("abc", 0), "");
        assert_eq!(foreign("ab", 1), "…");
        // Counted in characters, not bytes, and after stripping.
        assert_eq!(foreign("ééé", 3), "ééé");
        assert_eq!(foreign("\x1b[2Jabc", 3), "abc");
        let long = "x".repeat(100_000);
        assert_eq!(foreign(&long, 200).chars().count(), 200);
    }

    #[test]
    fn no_output_holds_a_control_whatever_the_input() {
        let samples = [
            "\x1b\x1b[\x1b]\x1b",
            "\u{9b}\u{9d}\u{90}\x1b[;;;;",
            "\x1bX\u{9c}\x1b^\x07\x1b_",
            "\r\n\x1b[31m\x1b]8;;x\x07y",
        ];
        for s in samples {
            let out = clean(s);
            assert!(
                !out.chars().any(|c| c.is_control() && c != ' '),
                "{s:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn json_stays_the_same_value_with_nothing_a_terminal_acts_on() {
        let value = serde_json::json!({
            "name": "a\u{9b}2Jb\u{202e}c\u{7f}d\u{2028}e\u{1b}[31m",
            "tag": "x\u{e0041}y",
            "plain": "ünïcødé ok",
        });
        let text = json_inert(format!("{value:#}"));
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(!text.contains('\u{202e}') && !text.contains('\u{2028}'));
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        // Beyond U+FFFF: a surrogate pair, which reads back as the same character.
        assert!(text.contains("x\\udb40\\udc41y"), "{text}");
        assert!(text.contains("ünïcødé ok"), "other text untouched");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "the same JSON value");
        let plain = String::from("{\"a\": 1}");
        assert_eq!(json_inert(plain.clone()), plain);
    }
}

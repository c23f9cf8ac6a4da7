//! Generated block-style documents with awkward scalars, keys and layouts (and random
//! mutations of them): whatever the fast reader accepts must read as serde-saphyr reads it.
//! A fixed-seed generator (no extra crate): a failure names its case, which replays.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::differential;

/// splitmix64: small, fast, good enough to pick shapes; `.1` is how often (percent) a word
/// or key is an odd one.
struct Rng(u64, usize);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pct(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn word(&mut self) -> &'static str {
        if self.pct(self.1) {
            self.pick(ODD_WORDS)
        } else {
            self.pick(WORDS)
        }
    }
}

/// Scalars whose typing is easy to get wrong, all valid as plain scalars.
const WORDS: &[&str] = &[
    "a",
    "simple-app",
    "system:authenticated",
    "a.b/c",
    "x y z",
    "on",
    "Off",
    "yes",
    "N",
    "TRUE",
    "null",
    "Null",
    "~",
    "0",
    "-0",
    "-1",
    "+1",
    "012",
    "-012",
    "0x1F",
    "0X1F",
    "-0x1f",
    "0o17",
    "0b11",
    "1_000",
    "1__0",
    "1e3",
    "1E-3",
    "1.5",
    ".5",
    "-.5",
    "1.",
    "+.nan",
    ".5e999",
    "inf",
    "NaN",
    "Infinity",
    "2024-03-06",
    "2024-03-06T12:00:00Z",
    "10.0.0.1",
    "25%",
    "a #b",
    "a#b",
    "-x",
    "a:b",
    "é",
    "日本",
    "\\",
    "a\\nb",
    "a  b",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1.0e+3",
    "0.",
    "00",
    "+",
    ".",
    "\u{a0}x",
    "it's",
    "say \"hi\"",
    "$VAR",
    "${X}",
    "0x",
    "+0x10",
    "=",
];

/// Words that are not plain scalars, or that serde-saphyr refuses.
const ODD_WORDS: &[&str] = &[
    ".inf", "-.Inf", ".nan", "1e999", "a: b", "#c", "- x", "-", "?x", ":x", "x:", "[a]", "{a}",
    "[]", "{}", "&x", "*x", "!t", "|", ">", "@x", "`x", "%x", "<<", "'q'", "\"d\"", "---", "...",
    "a ",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "name",
    "kind",
    "metadata",
    "items",
    "x-y",
    "a.b/c",
    "app.kubernetes.io/name",
    "\"q\"",
    "'s'",
    "\"a b\"",
    "a b",
    "\"on\"",
    "'1'",
    "\"\\u0041\"",
    "é",
    "-k",
];

const ODD_KEYS: &[&str] = &[
    "on", "1", "~", "<<", "\"\"", "k ", "? k", "[k]", "&a k", "!t k",
];

fn escape_double(rng: &mut Rng, w: &str) -> String {
    let mut s = String::new();
    for c in w.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            _ => s.push(c),
        }
        if rng.pct(8) {
            s.push_str(rng.pick(&[
                "\\t",
                "\\n",
                "\\u00e9",
                "\\x41",
                "\\/",
                "\\N",
                "\\_",
                "\\e",
                "\\0",
                "\\ ",
                "\\U0001F600",
                "\\uD800",
                "\\q",
                " ",
                "  ",
            ]));
        }
    }
    s
}

/// A scalar in some style, continued on lines indented to `indent + 2` when it spans lines.
fn scalar(rng: &mut Rng, indent: usize) -> String {
    let w = rng.word();
    let more = " ".repeat(indent + 2);
    let gap = |rng: &mut Rng| if rng.pct(30) { "\n\n" } else { "\n" };
    match rng.below(10) {
        0..=3 => w.to_string(),
        4 => format!("{w}{}{more}{}", gap(rng), rng.word()),
        5 => format!("'{}'", w.replace('\'', "''")),
        6 => format!("'{}{}{more}{}'", w.replace('\'', "''"), gap(rng), "tail"),
        7 => format!("\"{}\"", escape_double(rng, w)),
        8 => {
            let split = rng.pick(&["\n", "\\\n", " \\\n", "\n\n"]);
            format!(
                "\"{}{split}{more}{}\"",
                escape_double(rng, w),
                escape_double(rng, "end")
            )
        }
        _ => {
            let header = rng.pick(&["|", "|-", "|+", ">", ">-", ">+", "|2", "| # c"]);
            let mut s = header.to_string();
            for _ in 0..1 + rng.below(4) {
                s.push('\n');
                if rng.pct(20) {
                    s.push('\n');
                }
                let extra = if rng.pct(20) { "  " } else { "" };
                s.push_str(&format!("{more}{extra}{}", rng.word()));
            }
            if rng.pct(30) {
                s.push_str("\n\n");
            }
            s
        }
    }
}

fn key(rng: &mut Rng, used: &mut Vec<String>) -> String {
    // Mostly fresh keys; sometimes a repeat, to reach the duplicate check.
    let k = if rng.pct(70) {
        format!("k{}", used.len())
    } else if rng.pct(rng.1) {
        rng.pick(ODD_KEYS).to_string()
    } else {
        rng.pick(KEYS).to_string()
    };
    used.push(k.clone());
    k
}

fn comment(rng: &mut Rng) -> &'static str {
    if rng.pct(5) {
        " # note"
    } else {
        ""
    }
}

/// `key: value` entries at `indent`; the first one's key text is written by the caller's
/// prefix (`- ` for a compact mapping), so it starts without indentation.
fn mapping(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, compact: bool) {
    let mut used = vec![];
    for i in 0..1 + rng.below(4) {
        if !(compact && i == 0) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key(rng, &mut used));
        out.push(':');
        value(rng, out, indent, depth);
        if rng.pct(5) {
            out.push_str(rng.pick(&["\n", "# c\n", "   # indented comment\n"]));
        }
    }
}

fn value(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    let nested = depth < 5;
    match rng.below(if nested { 8 } else { 3 }) {
        0 | 1 => {
            out.push(' ');
            out.push_str(&scalar(rng, indent));
            out.push_str(comment(rng));
            out.push('\n');
        }
        2 => {
            out.push_str(rng.pick(&["\n", " {}\n", " []\n", " \n"]));
        }
        3 | 4 => {
            out.push('\n');
            mapping(rng, out, indent + 2, depth + 1, false);
        }
        5 | 6 => {
            out.push('\n');
            let at = if rng.pct(70) { indent } else { indent + 2 };
            sequence(rng, out, at, depth + 1);
        }
        _ => {
            out.push_str(" |\n");
            out.push_str(&" ".repeat(indent + 2));
            out.push_str("block\n");
        }
    }
}

fn sequence(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    for _ in 0..1 + rng.below(3) {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        if depth < 5 && rng.pct(50) {
            mapping(rng, out, indent + 2, depth + 1, true);
        } else {
            out.push_str(&scalar(rng, indent));
            out.push_str(comment(rng));
            out.push('\n');
        }
    }
}

fn document(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.pct(30) {
        // A List whose items the loader decodes one by one.
        out.push_str("apiVersion: v1\nitems:\n");
        for i in 0..1 + rng.below(3) {
            let kind = rng.pick(&["ClusterRoleBinding", "ConfigMap", "Role"]);
            out.push_str(&format!("- kind: {kind}\n  metadata:\n    name: n{i}\n    namespace: ns\n  roleRef:\n    kind: ClusterRole\n    name: view\n"));
            mapping(rng, &mut out, 2, 2, false);
        }
        out.push_str(rng.pick(&["kind: List\n", "kind: RoleBindingList\n", "kind: Thing\n"]));
    } else {
        mapping(rng, &mut out, 0, 0, false);
    }
    out
}

/// Breaks the text a little: a byte dropped, an indentation changed, a character inserted.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut b: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(3) {
            0 => {
                b.remove(i);
            }
            1 => b.insert(i, ' '),
            _ => b.insert(
                i,
                rng.pick(&["-", ":", "#", "'", "\"", "\n", "|", "&", "{", "\\"])
                    .chars()
                    .next()
                    .unwrap(),
            ),
        }
    }
    b.into_iter().collect()
}

#[test]
fn generated_documents_read_as_serde_saphyr_reads_them() {
    let (mut took, mut cases) = (0, 0);
    for case in 0..4000u64 {
        // A third of the cases with no odd words, the rest with more and more.
        let mut rng = Rng(case, [0, 0, 2, 5, 10, 30][case as usize % 6]);
        let mut text = document(&mut rng);
        if rng.pct(20) {
            text = format!("---\n{text}---\n{}", document(&mut rng));
        }
        if rng.pct(25) {
            text = mutate(&mut rng, &text);
        }
        cases += 1;
        match differential(&text) {
            Ok(true) => took += 1,
            Ok(false) => {}
            Err(e) => panic!("case {case}: {e}\n--- text:\n{text}"),
        }
    }
    // The generator must reach the fast reader often, or the test proves little.
    assert!(
        took * 3 > cases,
        "the fast reader took only {took} of {cases}"
    );
}

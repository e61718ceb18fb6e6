//! A ticket id in a branch name: the same rules as src/context/ticket.ts, written out without
//! regular expressions. Characters are compared one by one; every class is ASCII, as in the
//! TypeScript patterns.

const NOT_A_PROJECT: &[&str] = &[
    "FEATURE", "FEAT", "FIX", "BUGFIX", "HOTFIX", "RELEASE", "CHORE", "WIP", "V", "PR", "TASK",
    "TEST", "BUILD", "UPDATE", "UTF", "SHA", "ISO", "RFC", "CVE", "HTTP", "TLS", "PY", "NODE",
];
const TYPE_FOLDERS: &[&str] = &[
    "feature", "feat", "fix", "bugfix", "hotfix", "chore", "task", "story", "bug", "refactor",
    "docs", "ticket",
];

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `[0-9]{1,7}(?![0-9])` at `i`: the digits when the whole run of digits there is 1..7 long.
fn digit_run(s: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    if j == i || j - i > 7 {
        return None;
    }
    Some((s[i..j].iter().collect(), j))
}

/// `(?<![A-Za-z0-9])([A-Z][A-Z0-9]{1,9})-([0-9]{1,7})(?![0-9])` at `i`.
fn jira_at(s: &[char], i: usize) -> Option<(String, String, usize)> {
    if i > 0 && is_alnum(s[i - 1]) {
        return None;
    }
    if !s.get(i)?.is_ascii_uppercase() {
        return None;
    }
    let mut j = i + 1;
    while j < s.len() && (s[j].is_ascii_uppercase() || s[j].is_ascii_digit()) {
        j += 1;
    }
    let run = j - i - 1;
    if !(1..=9).contains(&run) || s.get(j) != Some(&'-') {
        return None;
    }
    let (digits, end) = digit_run(s, j + 1)?;
    Some((s[i..j].iter().collect(), digits, end))
}

fn eq_ignore_case(s: &[char], i: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    i + w.len() <= s.len()
        && s[i..i + w.len()]
            .iter()
            .zip(&w)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// The same as ticketFromBranch in src/context/ticket.ts.
pub fn ticket_from_branch(branch: &str) -> Option<String> {
    if branch.encode_utf16().count() > 255
        || branch.starts_with("dependabot/")
        || branch.starts_with("renovate/")
    {
        return None;
    }
    let s: Vec<char> = branch.chars().collect();
    let mut i = 0;
    while i < s.len() {
        if let Some((project, digits, end)) = jira_at(&s, i) {
            if !NOT_A_PROJECT.contains(&project.as_str()) {
                return Some(format!("{}-{}", project, digits));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    // `feature/abc-123`: a lower-case key right after a type folder
    let folder = TYPE_FOLDERS
        .iter()
        .find(|f| eq_ignore_case(&s, 0, f) && s.get(f.len()) == Some(&'/'));
    if let Some(f) = folder {
        let rest = &s[f.len() + 1..];
        if rest.first().is_some_and(|c| c.is_ascii_lowercase()) {
            let mut j = 1;
            while j < rest.len() && (rest[j].is_ascii_lowercase() || rest[j].is_ascii_digit()) {
                j += 1;
            }
            if (1..=9).contains(&(j - 1)) && rest.get(j) == Some(&'-') {
                if let Some((digits, _)) = digit_run(rest, j + 1) {
                    let key: String = rest[..j].iter().collect();
                    if !NOT_A_PROJECT.contains(&key.to_ascii_uppercase().as_str())
                        && key != "issue"
                        && key != "gh"
                    {
                        return Some(format!("{}-{}", key.to_ascii_uppercase(), digits));
                    }
                }
            }
        }
    }
    // `#123`
    for i in 0..s.len() {
        if s[i] == '#' {
            if let Some((d, _)) = digit_run(&s, i + 1) {
                return Some(format!("#{}", d));
            }
        }
    }
    // `issue-123`, `gh_123`, `issues123`, at the start or after / _ -
    for p in 0..s.len() {
        let start = if p == 0 {
            vec![0, 1]
                .into_iter()
                .filter(|&k| k == 0 || matches!(s[0], '/' | '_' | '-'))
                .collect::<Vec<_>>()
        } else if matches!(s[p], '/' | '_' | '-') {
            vec![p + 1]
        } else {
            vec![]
        };
        for k in start {
            for word in ["issue", "issues", "gh"] {
                if !eq_ignore_case(&s, k, word) {
                    continue;
                }
                let after = k + word.len();
                if matches!(s.get(after), Some('-' | '_')) {
                    if let Some((d, _)) = digit_run(&s, after + 1) {
                        return Some(format!("#{}", d));
                    }
                }
                if let Some((d, _)) = digit_run(&s, after) {
                    return Some(format!("#{}", d));
                }
            }
        }
    }
    // `123-title`, or `folder/123-title`
    let mut starts = vec![];
    let mut j = 0;
    while j < s.len() && s[j].is_ascii_alphabetic() {
        j += 1;
    }
    if j > 0 && s.get(j) == Some(&'/') {
        starts.push(j + 1);
    }
    starts.push(0);
    for k in starts {
        let mut e = k;
        while e < s.len() && s[e].is_ascii_digit() {
            e += 1;
        }
        if (1..=7).contains(&(e - k))
            && s.get(e) == Some(&'-')
            && s.get(e + 1).is_some_and(|c| c.is_ascii_alphabetic())
        {
            return Some(format!("#{}", s[k..e].iter().collect::<String>()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::ticket_from_branch as t;

    #[test]
    fn matches_the_typescript_rules() {
        let cases: &[(&str, Option<&str>)] = &[
            ("feature/ABC-123-login", Some("ABC-123")),
            ("ABC-123", Some("ABC-123")),
            ("xABC-123", None),
            ("FEAT-12/PROJ-7", Some("PROJ-7")),
            ("ABCDEFGHIJK-1", None),
            ("AB-12345678", None),
            ("feature/abc-123-x", Some("ABC-123")),
            ("Feature/abc-9", Some("ABC-9")),
            ("fix/issue-12", Some("#12")),
            ("fix/gh-12", Some("#12")),
            ("fix/wip-3", None),
            ("topic#42", Some("#42")),
            ("x#12345678#9", Some("#9")),
            ("issues123", Some("#123")),
            ("my/issue_7", Some("#7")),
            ("ISSUE-8", Some("ISSUE-8")),
            ("_issue9", Some("#9")),
            ("issue-12345678", None),
            ("feat/ab1-2", Some("AB1-2")),
            ("abc/12-x", Some("#12")),
            ("xissue-8", None),
            ("123-add-thing", Some("#123")),
            ("user/123-add-thing", Some("#123")),
            ("user/123-4", None),
            ("dependabot/npm/ABC-1", None),
            ("main", None),
            ("UTF-8", None),
        ];
        for (branch, want) in cases {
            assert_eq!(t(branch).as_deref(), *want, "branch {}", branch);
        }
    }
}

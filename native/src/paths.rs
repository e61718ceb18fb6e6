//! POSIX path helpers with the results of Node's path.normalize / join / resolve / dirname.

pub fn is_absolute(p: &str) -> bool {
    p.starts_with('/')
}

pub fn normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let abs = is_absolute(p);
    let trailing = p.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if out.is_empty() && !abs {
        out.push('.');
    }
    if !out.is_empty() && trailing {
        out.push('/');
    }
    if abs {
        format!("/{}", out)
    } else {
        out
    }
}

pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => ".".into(),
        (true, false) => normalize(b),
        (false, true) => normalize(a),
        (false, false) => normalize(&format!("{}/{}", a, b)),
    }
}

/// path.resolve(base, p) for an absolute base.
pub fn resolve(base: &str, p: &str) -> String {
    let joined = if is_absolute(p) {
        normalize(p)
    } else {
        normalize(&format!("{}/{}", base, p))
    };
    if joined.len() > 1 && joined.ends_with('/') {
        joined[..joined.len() - 1].to_string()
    } else {
        joined
    }
}

/// path.posix.dirname: everything before the last name (one separator dropped, as Node does).
pub fn dirname(p: &str) -> String {
    let b = p.as_bytes();
    if b.is_empty() {
        return ".".into();
    }
    let has_root = b[0] == b'/';
    let mut end: Option<usize> = None;
    let mut matched_slash = true;
    for i in (1..b.len()).rev() {
        if b[i] == b'/' {
            if !matched_slash {
                end = Some(i);
                break;
            }
        } else {
            matched_slash = false;
        }
    }
    match end {
        None => (if has_root { "/" } else { "." }).into(),
        Some(1) if has_root => "//".into(),
        Some(e) => p[..e].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_node_path() {
        assert_eq!(normalize("/a//b/./c/../d/"), "/a/b/d/");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize("./"), "./");
        assert_eq!(normalize("/"), "/");
        assert_eq!(join("/h", "run"), "/h/run");
        assert_eq!(join("/h/", "../x"), "/x");
        assert_eq!(resolve("/a/b", "../c/"), "/a/c");
        assert_eq!(resolve("/a", "/x/./y"), "/x/y");
        assert_eq!(dirname("/a/b"), "/a");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("/"), "/");
        assert_eq!(dirname("/a//b"), "/a/");
        assert_eq!(dirname("/a/b/"), "/a");
        assert_eq!(dirname("a"), ".");
        assert_eq!(dirname("//a"), "//");
    }
}

//! A private page that forwards the browser to the authorization URL, for systems whose
//! listener cannot tell local users apart (macOS, Windows, the BSDs: no `/proc/net`).
//! The browser is given only the page's path. Other users may read that path in the
//! browser's argv, but not the file: it is 0600 in a 0700 directory with a random name,
//! both created through fsutil with explicit modes. Removed when the sign-in ends.
//! (Linux builds use it only in tests: there the listener itself refuses other users,
//! and snap-confined browsers could not read a file under a hidden directory.)

use crate::fsutil::{self, Access, Class};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct ForwardPage {
    dir: PathBuf,
    path: PathBuf,
}

impl ForwardPage {
    /// Writes the page in a new private directory under `parent` (created 0700 too if
    /// missing, like every directory of ours).
    pub fn write(parent: &Path, authorization_url: &str) -> Result<ForwardPage, String> {
        let dir = parent.join(format!("login-{}", random_hex()?));
        fsutil::create_dir(&dir, Class::Private).map_err(|e| e.to_string())?;
        let page = ForwardPage {
            path: dir.join("sign-in.html"),
            dir,
        };
        let mut file = fsutil::open(&page.path, Access::CreateNew, Class::Private)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("cannot create {}", page.path.display()))?;
        file.write_all(html(authorization_url).as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", page.path.display()))?;
        Ok(page)
    }

    /// What the browser is given: a path of characters octoken chose (plus those of
    /// the user's own cache directory).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ForwardPage {
    fn drop(&mut self) {
        let _ = fsutil::remove(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A meta refresh and a link for browsers that do not follow it. The URL is the
/// server's `authorization_endpoint` plus our parameters: escaped for an attribute.
fn html(url: &str) -> String {
    let url = escape(url);
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\
         <title>octoken sign-in</title></head>\
         <body><p><a href=\"{url}\">Continue to the sign-in page</a></p></body></html>\n"
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn random_hex() -> Result<String, String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system's random source failed".to_string())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn the_page_is_private_forwards_escaped_and_goes_away() {
        let base = tempfile::tempdir().unwrap();
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let cache = base.path().join("cache");
        let url = "https://id.example/a\"b'<c>?x=1&state=s3cret";
        let page = ForwardPage::write(&cache, url).unwrap();
        let path = page.path().to_path_buf();
        let dir = path.parent().unwrap().to_path_buf();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&cache), 0o700);
        assert_eq!(mode(&path), 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        let escaped = "https://id.example/a&quot;b&#39;&lt;c&gt;?x=1&amp;state=s3cret";
        assert!(
            text.contains(&format!("content=\"0; url={escaped}\"")),
            "{text}"
        );
        assert!(text.contains(&format!("href=\"{escaped}\"")), "{text}");
        assert!(!text.contains("a\"b"), "{text}");
        // The path is ours and random: only hex, a dash and the file name after the cache.
        let rest = path.strip_prefix(&cache).unwrap().to_str().unwrap();
        assert!(
            rest.starts_with("login-") && rest.ends_with("/sign-in.html"),
            "{rest}"
        );
        assert_ne!(
            ForwardPage::write(&cache, url).unwrap().path().parent(),
            Some(dir.as_path())
        );
        drop(page);
        assert!(!path.exists() && !dir.exists());
    }
}

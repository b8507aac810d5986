//! `spate login`, `spate logout` and OAuth in `spate tools`, against real processes: the
//! Python test authorization server (`interop/python/auth_server.py`, which needs
//! `SPATE_PY2` from `scripts/test`, hence `#[ignore]`) and `spate serve --oauth-issuer`.
//! One test plays the browser itself: it reads the authorization URL `spate login` prints,
//! fetches it and follows the redirect to the CLI's one-shot listener on 127.0.0.1. The
//! others leave the browser step to the CLI's headless testing aid
//! (`SPATE_OAUTH_TEST_HEADLESS_AUTHORIZE`), which fetches the authorization URL and reads
//! the redirect without following it.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};

use crate::served::{BIN, serve, spate, text};

/// The authorization server child, killed on drop.
struct AuthServer {
    child: Child,
    issuer: String,
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn auth_server() -> AuthServer {
    let python = std::env::var("SPATE_PY2").expect("SPATE_PY2 (run scripts/test)");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../interop/python/auth_server.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start auth_server.py");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("announcement");
    let issuer = line
        .trim()
        .strip_prefix("listening on ")
        .expect("auth_server.py announces its URL")
        .to_owned();
    std::thread::spawn(move || for _ in lines.lines() {});
    AuthServer { child, issuer }
}

#[test]
#[ignore = "needs the Python peer: run scripts/test"]
fn login_stores_tokens_that_later_commands_use_and_logout_forgets_them() {
    let auth = auth_server();
    let server = serve(&["--oauth-issuer", &auth.issuer]);
    let url = format!("{}/mcp", server.origin);
    let dir = std::env::temp_dir().join(format!("spate-oauth-cli-{}", std::process::id()));
    let store = dir.join("oauth.json");
    let store_env = ("SPATE_OAUTH_STORE", store.to_str().unwrap());
    let headless = ("SPATE_OAUTH_TEST_HEADLESS_AUTHORIZE", "true");

    // No user at the terminal and nothing stored: the 401 cannot be answered.
    let out = spate(&["tools", &url], &[store_env]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));

    let out = spate(&["login", &url], &[store_env, headless]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("logged in to"),
        "{}",
        text(&out.stdout)
    );
    let mode = std::fs::metadata(&store).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
    let entry = &kept[url.as_str()];
    let token = entry["tokens"]["access_token"]
        .as_str()
        .expect("a stored token");
    assert!(!text(&out.stdout).contains(token) && !text(&out.stderr).contains(token));

    // The stored token is used without any login.
    let out = spate(&["tools", &url], &[store_env]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("calculate"),
        "{}",
        text(&out.stdout)
    );

    // Client credentials with the client that login registered: no user at all.
    let client_id = entry["client"]["client_id"].as_str().unwrap().to_owned();
    let secret = entry["client"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = spate(&["logout", &url], &[store_env]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = spate(&["tools", &url], &[store_env]);
    assert!(
        !out.status.success(),
        "logged out, yet: {}",
        text(&out.stdout)
    );
    let out = spate(
        &[
            "tools",
            "--client-id",
            &client_id,
            "--client-credentials",
            &url,
        ],
        &[store_env, ("SPATE_OAUTH_CLIENT_SECRET", &secret)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("calculate"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A browser's `GET` of an `http://127.0.0.1` URL: the status and the `Location`, if any.
fn browser_get(url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut socket = std::net::TcpStream::connect(authority).expect("connect");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("an HTTP status");
    let location = answer.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    (status, location)
}

#[test]
#[ignore = "needs the Python peer: run scripts/test"]
fn login_receives_the_browser_redirect_on_its_loopback_listener() {
    let auth = auth_server();
    let server = serve(&["--oauth-issuer", &auth.issuer]);
    let url = format!("{}/mcp", server.origin);
    let dir = std::env::temp_dir().join(format!("spate-oauth-browser-{}", std::process::id()));
    let store = dir.join("oauth.json");
    // No PATH: no xdg-open, so no real browser opens while the test plays one.
    let mut login = Command::new(BIN)
        .args(["login", &url])
        .env("SPATE_OAUTH_STORE", &store)
        .env("PATH", "")
        .env_remove("SPATE_OAUTH_TEST_HEADLESS_AUTHORIZE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start spate login");
    let mut stderr = BufReader::new(login.stderr.take().unwrap());
    let mut line = String::new();
    let authorization_url = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "login printed no URL"
        );
        if let Some(u) = line
            .trim()
            .strip_prefix(&format!("{}/authorize?", auth.issuer))
        {
            break format!("{}/authorize?{u}", auth.issuer);
        }
    };
    let (status, location) = browser_get(&authorization_url);
    assert!((300..400).contains(&status), "authorize answered {status}");
    let callback = location.expect("a redirect");
    assert!(
        callback.starts_with("http://127.0.0.1:") && callback.contains("/callback?code="),
        "{callback}"
    );
    let (status, _) = browser_get(&callback);
    assert_eq!(status, 200, "the listener's answer to the browser");
    let out = login.wait_with_output().unwrap();
    assert!(out.status.success(), "login failed");
    assert!(
        text(&out.stdout).starts_with("logged in to"),
        "{}",
        text(&out.stdout)
    );
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
    assert!(kept[url.as_str()]["tokens"]["access_token"].is_string());
    let out = spate(
        &["tools", &url],
        &[("SPATE_OAUTH_STORE", store.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

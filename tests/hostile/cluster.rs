//! Rows: kubeconfigs, credential plugins and API servers that answer badly or not at all must
//! end the run within its limits with exit 2, naming what failed, never hang or panic.

use std::io::{Read, Write};
use std::net::TcpListener;

use super::{Env, Row, DST, SRC};

/// A kubeconfig for `server` whose user is `user` (YAML lines under `user:`).
fn kubeconfig(e: &Env, server: &str, user: &str) -> String {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n\
         users:\n- name: u\n  user:\n{user}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u, namespace: dev}}\n\
         current-context: x\n"
    );
    e.write("kubeconfig", text);
    e.s("kubeconfig")
}

/// `check` of the seed promotion against a live cluster, with a 1 s request limit.
fn live(e: &Env, kubeconfig: String) -> Vec<String> {
    let mut a: Vec<String> = ["check", SRC, DST, "--kubeconfig"]
        .map(String::from)
        .to_vec();
    a.extend([kubeconfig, "--policies".into(), e.s("pol"), "-o".into()]);
    a.extend(["text".into(), "--request-timeout".into(), "1s".into()]);
    a
}

/// A server on a free local port whose every connection gets `answer` (after reading the
/// request head), then hangs up — or, with `hold`, keeps the connection open and silent (so
/// nothing at all, or an unfinished answer). The thread outlives the row.
fn server(answer: Option<String>, hold: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            match answer.as_deref() {
                // One answer per connection, then hang up: the client opens a new one.
                Some(a) if !hold => {
                    let _ = s.write_all(
                        a.replacen("\r\n", "\r\nconnection: close\r\n", 1)
                            .as_bytes(),
                    );
                }
                // Never closed: a server that stops talking, not one that hangs up.
                Some(a) => {
                    let _ = s.write_all(a.as_bytes());
                    held.push(s);
                }
                None => held.push(s),
            }
        }
    });
    format!("http://127.0.0.1:{port}")
}

const TOKEN: &str = "    token: sha256~not-a-real-token";

pub const ROWS: &[Row] = &[
    Row {
        name: "kubeconfig that is not YAML",
        setup: |e| {
            e.write("kubeconfig", "{{{ not: [yaml");
            live(e, e.s("kubeconfig"))
        },
        code: 2,
        needle: "cannot read the kubeconfig",
    },
    Row {
        name: "kubeconfig token with CR/LF",
        setup: |e| {
            let k = kubeconfig(
                e,
                "http://127.0.0.1:1",
                "    token: \"abc\\r\\nX-Injected: 1\"",
            );
            live(e, k)
        },
        code: 2,
        needle: "not allowed in an HTTP header",
    },
    Row {
        name: "API server refusing connections",
        setup: |e| {
            let k = kubeconfig(e, "http://127.0.0.1:1", TOKEN);
            live(e, k)
        },
        code: 2,
        needle: "no answer from the cluster",
    },
    Row {
        name: "API server that accepts and never answers",
        setup: |e| {
            let k = kubeconfig(e, &server(None, true), TOKEN);
            live(e, k)
        },
        code: 2,
        needle: "no complete answer within 1s (--request-timeout)",
    },
    Row {
        name: "API server that sends headers and then stops",
        setup: |e| {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"kind\":";
            let k = kubeconfig(e, &server(Some(head.into()), true), TOKEN);
            live(e, k)
        },
        code: 2,
        needle: "(--request-timeout)",
    },
    Row {
        name: "API server answering garbage",
        setup: |e| {
            let bad = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\nnot json!";
            let k = kubeconfig(e, &server(Some(bad.into()), false), TOKEN);
            live(e, k)
        },
        code: 2,
        needle: "cannot decode the answer",
    },
    Row {
        name: "API server answering 500",
        setup: |e| {
            let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd is down","reason":"InternalError","code":500}"#;
            let answer = format!(
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let k = kubeconfig(e, &server(Some(answer), false), TOKEN);
            live(e, k)
        },
        code: 2,
        needle: "etcd is down",
    },
    Row {
        name: "exec credential plugin that never returns",
        setup: |e| {
            let user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"exec sleep 600\"]\n      interactiveMode: Never";
            let k = kubeconfig(e, "http://127.0.0.1:1", user);
            live(e, k)
        },
        code: 2,
        needle: "(--request-timeout)",
    },
    Row {
        name: "--request-timeout that is not a duration",
        setup: |e| {
            let k = kubeconfig(e, "http://127.0.0.1:1", TOKEN);
            let mut a = live(e, k);
            *a.last_mut().unwrap() = "soon".into();
            a
        },
        code: 2,
        needle: "--request-timeout",
    },
];

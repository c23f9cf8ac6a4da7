//! Connecting: the kubeconfig (or the pod's service account) chosen explicitly, and who we are.
//!
//! Never `Config::infer()`: it honours `KUBE_RS_DEBUG_IMPERSONATE_*` and
//! `KUBE_RS_DEBUG_OVERRIDE_URL`, which would silently change the identity or the endpoint of a
//! security gate. Tokens stay inside kube's config (a `SecretString`); nothing here logs them.
//! Before the client is built, exec plugins are run within the limit ([`super::exec`]),
//! credentials are checked and remembered for redaction ([`super::credentials`]), and every
//! request is given the `--request-timeout` deadline ([`super::deadline`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{json, Value};

use super::api::{self, Read};
use super::deadline::{DeadlineLayer, DEFAULT_REQUEST_TIMEOUT};
use super::redact::redact;
use super::ClusterError;
use super::{credentials, exec, paths};

/// Where to connect, from `--kubeconfig`, `--context` and `-n`, and how long a request may
/// take (`--request-timeout`).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// The most one request may take, connect and whole answer together (exec credential
    /// plugins too); `None`: no limit. Default: 30 s.
    pub request_timeout: Option<Duration>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            kubeconfig: None,
            context: None,
            namespace: None,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
        }
    }
}

/// A live cluster: the client, the namespace for references without one, and who we are.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// `-n`, else the kubeconfig context's namespace (or the pod's), else `default`.
    pub default_namespace: String,
    /// The user name the cluster sees (`system:serviceaccount:ns:name` for a service
    /// account); `None` when the server would not say.
    pub identity: Option<String>,
    /// That identity's groups, when the server said (`promotion.requested_by_groups`).
    pub groups: Option<Vec<String>>,
    /// `host[:port]` of the API server, for messages.
    pub server: String,
    /// `--request-timeout` (`None`: no limit); the gather's deadline is a multiple of it.
    pub request_timeout: Option<Duration>,
    /// Set for a batch: its gathers share their reads ([`super::ReadMemo`]).
    pub memo: Option<std::sync::Arc<super::ReadMemo>>,
}

impl Connection {
    /// The identity for messages: its name, or a phrase when unknown.
    pub fn who(&self) -> String {
        self.identity
            .clone()
            .unwrap_or_else(|| "the identity running the gate".into())
    }
}

const POD_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

enum Located {
    File {
        config: Box<Kubeconfig>,
        path: String,
    },
    InCluster,
}

fn read_kubeconfig(path: &std::path::Path) -> Result<Kubeconfig, ClusterError> {
    // A parse error may quote the line it stopped at, a token's line included.
    Kubeconfig::read_from(path).map_err(|e| ClusterError::Kubeconfig {
        path: path.display().to_string(),
        reason: redact(&e.to_string()),
    })
}

/// `--kubeconfig`, else `$KUBECONFIG` (a list of files, merged), else `~/.kube/config`, else
/// the in-cluster service account.
fn locate(opts: &ConnectOptions) -> Result<Located, ClusterError> {
    if let Some(path) = &opts.kubeconfig {
        return Ok(Located::File {
            config: Box::new(read_kubeconfig(path)?),
            path: path.display().to_string(),
        });
    }
    let from_env = Kubeconfig::from_env().map_err(|e| ClusterError::Kubeconfig {
        path: "$KUBECONFIG".into(),
        reason: redact(&e.to_string()),
    })?;
    if let Some(config) = from_env {
        return Ok(Located::File {
            config: Box::new(config),
            path: "$KUBECONFIG".into(),
        });
    }
    if let Some(home) = std::env::home_dir() {
        let path = home.join(".kube").join("config");
        if path.is_file() {
            return Ok(Located::File {
                config: Box::new(read_kubeconfig(&path)?),
                path: path.display().to_string(),
            });
        }
    }
    Ok(Located::InCluster)
}

/// The namespace for references written without one, without connecting: `-n`, else the
/// chosen context's namespace (or the pod's), else `default`. `None` when no configuration
/// can be found (connecting will then say why).
pub fn default_namespace(opts: &ConnectOptions) -> Option<String> {
    if let Some(ns) = &opts.namespace {
        return Some(ns.clone());
    }
    match locate(opts).ok()? {
        Located::File { config, .. } => {
            let name = opts.context.clone().or(config.current_context.clone())?;
            let ctx = config
                .contexts
                .iter()
                .find(|c| c.name == name)?
                .context
                .as_ref()?;
            Some(ctx.namespace.clone().unwrap_or_else(|| "default".into()))
        }
        Located::InCluster => std::fs::read_to_string(POD_NAMESPACE_FILE)
            .ok()
            .map(|s| s.trim().to_string()),
    }
}

/// The configuration, and the name of its user entry for messages.
async fn load_config(opts: &ConnectOptions) -> Result<(Config, String), ClusterError> {
    let kube_opts = KubeConfigOptions {
        context: opts.context.clone(),
        ..KubeConfigOptions::default()
    };
    match locate(opts)? {
        Located::File { config, path } => {
            let context = opts.context.as_ref().or(config.current_context.as_ref());
            let user = context
                .and_then(|name| config.contexts.iter().find(|c| &c.name == name))
                .and_then(|c| c.context.as_ref())
                .and_then(|c| c.user.clone())
                .unwrap_or_default();
            let config = Config::from_custom_kubeconfig(*config, &kube_opts)
                .await
                .map_err(|e| ClusterError::Kubeconfig {
                    path,
                    reason: redact(&e.to_string()),
                })?;
            Ok((config, user))
        }
        Located::InCluster => Config::incluster()
            .map(|c| (c, "(the pod's service account)".to_string()))
            .map_err(|e| {
                ClusterError::NoConfig(format!(
                    "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running \
                     in a pod ({e}); log in with `oc login`, or pass --snapshot PATH or --facts \
                     FILE"
                ))
            }),
    }
}

/// `host[:port]` of the server, for messages (never user info).
fn server_name(url: &http::Uri) -> String {
    match (url.host(), url.port_u16()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the API server".into(),
    }
}

/// Whether credentials sent to `url` cross a network in the clear: plain http to anything
/// but this machine (`localhost`, `127.0.0.0/8`, `::1` — an `oc proxy`, a test server).
fn exposed_over_http(url: &http::Uri) -> bool {
    if url.scheme() != Some(&http::uri::Scheme::HTTP) {
        return false;
    }
    let host = url.host().unwrap_or("").trim_matches(['[', ']']);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Loads the configuration, runs an exec credential plugin within the limit, checks the
/// credentials and builds the client. No request is sent: `gather` asks who we are alongside
/// its first wave of reads (acting needs only the client).
pub async fn connect(opts: &ConnectOptions) -> Result<Connection, ClusterError> {
    let (mut config, user) = load_config(opts).await?;
    let limit = opts.request_timeout.filter(|d| !d.is_zero());
    if credentials::strip_user_info(&mut config)? {
        tracing::warn!(
            "the server URL of the kubeconfig carries user info (`user:password@`): it is \
             ignored; put credentials in the user entry"
        );
    }
    if exec::needed(&config.auth_info) {
        exec::resolve(&user, &mut config.auth_info, limit).await?;
    } else {
        // kube would prefer the other credential anyway; never let it run the plugin.
        config.auth_info.exec = None;
    }
    let sends_secret = credentials::check(&user, &config.auth_info)?;
    let server = server_name(&config.cluster_url);
    if sends_secret && exposed_over_http(&config.cluster_url) {
        tracing::warn!(
            %server,
            "a token or password is sent over plain http: anyone on the path can read it; \
             use an https server URL"
        );
    }
    // One deadline per request covers connect and the whole answer ([`DeadlineLayer`]);
    // kube's own timeouts would only cut sooner with a vaguer message.
    config.read_timeout = None;
    config.connect_timeout = None;
    let default_namespace = opts
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let layer = DeadlineLayer {
        limit,
        server: Arc::from(server.as_str()),
    };
    let client = ClientBuilder::try_from(config)
        .map_err(|e| ClusterError::Client(redact(&e.to_string())))?
        .with_layer(&layer)
        .build();
    tracing::info!(%server, namespace = %default_namespace, "client ready");
    Ok(Connection {
        client,
        default_namespace,
        identity: None,
        groups: None,
        server,
        request_timeout: limit,
        memo: None,
    })
}

/// Who we are and our groups: the user name (`None` when unknown) and groups.
pub(crate) type Identity = (Option<String>, Option<Vec<String>>);

/// Who we are ([`whoami`]), logged — never a credential.
pub(crate) async fn identify_client(client: &Client) -> Result<Identity, ClusterError> {
    let identity = whoami(client).await?;
    match &identity.0 {
        Some(id) => tracing::info!(identity = %id, "connected"),
        None => tracing::warn!(
            "connected, but the cluster would not say who we are (no selfsubjectreviews, no users/~)"
        ),
    }
    Ok(identity)
}

/// `SelfSubjectReview` (Kubernetes 1.28+, OpenShift 4.15+), else OpenShift's `users/~`;
/// `None` when neither is served or allowed.
async fn whoami(client: &Client) -> Result<Identity, ClusterError> {
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let review: Read<Value> = api::create(client, paths::SELF_SUBJECT_REVIEWS, &body).await?;
    if let Read::Found(v) = review {
        let info = &v["status"]["userInfo"];
        return Ok((non_empty(&info["username"]), groups(&info["groups"])));
    }
    let user: Read<Value> = api::read(client, paths::USER_SELF).await?;
    Ok(match user {
        Read::Found(v) => (non_empty(&v["metadata"]["name"]), groups(&v["groups"])),
        _ => (None, None),
    })
}

fn non_empty(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// A list of group names; anything else (absent, or not a list of strings) is unknown.
fn groups(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|g| g.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::exposed_over_http;

    #[test]
    fn credentials_over_plain_http_are_flagged_unless_they_stay_on_this_machine() {
        let exposed = |u: &str| exposed_over_http(&u.parse().unwrap());
        assert!(exposed("http://api.example:6443"));
        assert!(exposed("http://10.0.0.1:8080"));
        assert!(!exposed("https://api.example:6443"));
        assert!(!exposed("http://127.0.0.1:8001"));
        assert!(!exposed("http://localhost:8001"));
        assert!(!exposed("http://[::1]:8001"));
    }
}

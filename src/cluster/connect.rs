//! Connecting: the kubeconfig (or the pod's service account) chosen explicitly, and who we are.
//!
//! Never `Config::infer()`: it honours `KUBE_RS_DEBUG_IMPERSONATE_*` and
//! `KUBE_RS_DEBUG_OVERRIDE_URL`, which would silently change the identity or the endpoint of a
//! security gate. Tokens stay inside kube's config (a `SecretString`); nothing here logs them.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{json, Value};

use super::api::{self, Read};
use super::paths;
use super::ClusterError;

/// Where to connect, from `--kubeconfig`, `--context` and `-n`.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
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
    /// `host[:port]` of the API server, for messages.
    pub server: String,
}

impl Connection {
    /// The identity for messages: its name, or a phrase when unknown.
    pub fn who(&self) -> String {
        self.identity
            .clone()
            .unwrap_or_else(|| "the identity running the gate".into())
    }
}

/// How long one request may wait for an answer (kube sets no read timeout since 4.0).
const READ_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const POD_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

enum Located {
    File {
        config: Box<Kubeconfig>,
        path: String,
    },
    InCluster,
}

fn read_kubeconfig(path: &std::path::Path) -> Result<Kubeconfig, ClusterError> {
    Kubeconfig::read_from(path).map_err(|e| ClusterError::Kubeconfig {
        path: path.display().to_string(),
        reason: e.to_string(),
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
        reason: e.to_string(),
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

async fn load_config(opts: &ConnectOptions) -> Result<Config, ClusterError> {
    let kube_opts = KubeConfigOptions {
        context: opts.context.clone(),
        ..KubeConfigOptions::default()
    };
    match locate(opts)? {
        Located::File { config, path } => Config::from_custom_kubeconfig(*config, &kube_opts)
            .await
            .map_err(|e| ClusterError::Kubeconfig {
                path,
                reason: e.to_string(),
            }),
        Located::InCluster => Config::incluster().map_err(|e| {
            ClusterError::NoConfig(format!(
                "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a \
                 pod ({e}); log in with `oc login`, or pass --snapshot PATH or --facts FILE"
            ))
        }),
    }
}

/// Loads the configuration and builds the client. No request is sent: `gather` asks who we
/// are alongside its first wave of reads (acting needs only the client).
pub async fn connect(opts: &ConnectOptions) -> Result<Connection, ClusterError> {
    let mut config = load_config(opts).await?;
    config.read_timeout = Some(config.read_timeout.unwrap_or(READ_TIMEOUT));
    config.connect_timeout = Some(config.connect_timeout.unwrap_or(CONNECT_TIMEOUT));
    let default_namespace = opts
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let url = &config.cluster_url;
    // Host and port only: a URL may carry user info.
    let server = match (url.host(), url.port_u16()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the API server".into(),
    };
    let client = Client::try_from(config).map_err(|e| ClusterError::Client(e.to_string()))?;
    tracing::info!(%server, namespace = %default_namespace, "client ready");
    Ok(Connection {
        client,
        default_namespace,
        identity: None,
        server,
    })
}

/// Who we are ([`whoami`]), logged — never a credential.
pub(crate) async fn identify_client(client: &Client) -> Result<Option<String>, ClusterError> {
    let identity = whoami(client).await?;
    match &identity {
        Some(id) => tracing::info!(identity = %id, "connected"),
        None => tracing::warn!(
            "connected, but the cluster would not say who we are (no selfsubjectreviews, no users/~)"
        ),
    }
    Ok(identity)
}

/// `SelfSubjectReview` (Kubernetes 1.28+, OpenShift 4.15+), else OpenShift's `users/~`;
/// `None` when neither is served or allowed.
async fn whoami(client: &Client) -> Result<Option<String>, ClusterError> {
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let review: Read<Value> = api::create(client, paths::SELF_SUBJECT_REVIEWS, &body).await?;
    if let Read::Found(v) = review {
        return Ok(v["status"]["userInfo"]["username"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string));
    }
    let user: Read<Value> = api::read(client, paths::USER_SELF).await?;
    Ok(match user {
        Read::Found(v) => v["metadata"]["name"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        _ => None,
    })
}

//! A memo of the gather's reads shared by the promotions of one batch: a list of bindings, a
//! namespace's streams or every workload is read once per batch, not once per promotion.
//!
//! Keyed by the request (method, path and body — access reviews are reads too); concurrent
//! gathers asking for the same read wait for the one request in flight. Failures are kept as
//! well, so a read that fails is not repeated a thousand times. A memo lives as long as the
//! batch's checks: acting re-reads everything it writes against ([`crate::act`]) directly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use std::any::Any;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::api::{decode_items, Read};
use super::connect::Identity;
use super::waves::Want;
use super::ClusterError;
use crate::gather::Shared;
use crate::openshift::{
    ClusterRoleBinding, Deployment, DeploymentConfig, ImageStream, ReplicaSet,
    ReplicationController, RoleBinding,
};
use crate::refs::WorkloadKind;

/// What a read gave: the request that answered (the fallback's, when it was used), the answer,
/// and the refusals on the way. A list is kept decoded in `items` (its JSON dropped): every
/// promotion of the batch shares the typed objects instead of decoding the list again.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    pub path: String,
    pub read: Read<Value>,
    pub refusals: Vec<String>,
    pub items: Option<Items>,
}

/// A list answer decoded once: a [`Shared`] list of the type its [`Want`] lands as, which
/// every promotion of the batch lands uncopied.
#[derive(Clone)]
pub struct Items(Arc<dyn Any + Send + Sync>);

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Items(..)")
    }
}

impl Items {
    fn of<T: DeserializeOwned + Send + Sync + 'static>(
        path: &str,
        v: Value,
    ) -> Result<Items, ClusterError> {
        let list: Arc<Shared<T>> = Shared::new(decode_items::<T>(path, v)?);
        Ok(Items(list))
    }

    /// The objects, when they are `T`s.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<Shared<T>>> {
        Arc::clone(&self.0).downcast::<Shared<T>>().ok()
    }
}

/// The list a [`Want`] reads, decoded as the type it lands as; `None` for single objects and
/// reviews (small: kept as JSON).
pub(super) fn decode_list(
    want: &Want,
    path: &str,
    v: Value,
) -> Result<Option<Items>, ClusterError> {
    use WorkloadKind::{Deployment as D, DeploymentConfig as Dc};
    Ok(Some(match want {
        Want::AllWorkloads(Dc) | Want::WorkloadsIn(Dc, _) => {
            Items::of::<DeploymentConfig>(path, v)?
        }
        Want::AllWorkloads(D) | Want::WorkloadsIn(D, _) => Items::of::<Deployment>(path, v)?,
        Want::StreamsIn(_) => Items::of::<ImageStream>(path, v)?,
        Want::RcsIn(_) => Items::of::<ReplicationController>(path, v)?,
        Want::ReplicaSetsIn(_) => Items::of::<ReplicaSet>(path, v)?,
        Want::RoleBindings(_) => Items::of::<RoleBinding>(path, v)?,
        Want::ClusterRoleBindings => Items::of::<ClusterRoleBinding>(path, v)?,
        _ => return Ok(None),
    }))
}

type Cell = Arc<OnceCell<Result<Reply, ClusterError>>>;

/// The reads of one batch. Cheap to share (`Arc`); see the module docs.
#[derive(Debug, Default)]
pub struct ReadMemo {
    cells: Mutex<HashMap<String, Cell>>,
    identity: OnceCell<Identity>,
    requests: AtomicU64,
    hits: AtomicU64,
}

impl ReadMemo {
    pub fn new() -> Arc<ReadMemo> {
        Arc::new(ReadMemo::default())
    }

    /// Reads sent to the cluster through the memo (each distinct read once).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Reads answered from the memo (or by waiting for the same read in flight).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// The answer to `key`, from `read` the first time only.
    pub(super) async fn reply<F>(&self, key: String, read: F) -> Result<Reply, ClusterError>
    where
        F: std::future::Future<Output = Result<Reply, ClusterError>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cells.entry(key).or_default())
        };
        let mut fresh = false;
        let answer = cell
            .get_or_init(|| {
                fresh = true;
                read
            })
            .await;
        if fresh {
            self.requests.fetch_add(1, Ordering::Relaxed);
        } else {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        match answer {
            Ok(reply) => Ok(reply.clone()),
            Err(e) => Err(copy(e)),
        }
    }

    /// Who we are, asked once per batch (errors are not kept: the next gather asks again).
    pub(super) async fn identity<F>(&self, ask: F) -> Result<Identity, ClusterError>
    where
        F: std::future::Future<Output = Result<Identity, ClusterError>>,
    {
        self.identity.get_or_try_init(|| ask).await.cloned()
    }
}

/// A copy of a read's failure for every promotion that shares the read. The request layer
/// ([`super::api::send`]) fails only with the variants copied field by field; anything else
/// keeps its message.
fn copy(e: &ClusterError) -> ClusterError {
    match e {
        ClusterError::Api {
            method,
            path,
            code,
            reason,
            message,
        } => ClusterError::Api {
            method: method.clone(),
            path: path.clone(),
            code: *code,
            reason: reason.clone(),
            message: message.clone(),
        },
        ClusterError::Transport {
            method,
            path,
            server,
            reason,
        } => ClusterError::Transport {
            method: method.clone(),
            path: path.clone(),
            server: server.clone(),
            reason: reason.clone(),
        },
        ClusterError::Timeout {
            method,
            path,
            server,
            limit,
        } => ClusterError::Timeout {
            method: method.clone(),
            path: path.clone(),
            server: server.clone(),
            limit: limit.clone(),
        },
        ClusterError::Decode {
            method,
            path,
            reason,
        } => ClusterError::Decode {
            method: method.clone(),
            path: path.clone(),
            reason: reason.clone(),
        },
        other => ClusterError::Internal(other.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reply(path: &str) -> Reply {
        Reply {
            path: path.into(),
            read: Read::Found(serde_json::json!({"items": []})),
            refusals: vec![],
            items: None,
        }
    }

    #[tokio::test]
    async fn a_read_is_sent_once_and_its_answer_shared() {
        let memo = ReadMemo::new();
        let sent = AtomicU64::new(0);
        for _ in 0..3 {
            let r = memo
                .reply("GET /a".into(), async {
                    sent.fetch_add(1, Ordering::Relaxed);
                    Ok(reply("/a"))
                })
                .await
                .unwrap();
            assert_eq!(r.path, "/a");
        }
        memo.reply("GET /b".into(), async { Ok(reply("/b")) })
            .await
            .unwrap();
        assert_eq!(sent.load(Ordering::Relaxed), 1);
        assert_eq!((memo.requests(), memo.hits()), (2, 2));
    }

    #[tokio::test]
    async fn a_failed_read_fails_every_sharer_with_its_message() {
        let memo = ReadMemo::new();
        for _ in 0..2 {
            let e = memo
                .reply("GET /x".into(), async {
                    Err(ClusterError::Api {
                        method: "GET".into(),
                        path: "/x".into(),
                        code: 500,
                        reason: "InternalError".into(),
                        message: "boom".into(),
                    })
                })
                .await
                .unwrap_err();
            assert_eq!(e.code(), Some(500));
            assert!(e.to_string().contains("boom"), "{e}");
        }
        assert_eq!(memo.requests(), 1);
    }
}

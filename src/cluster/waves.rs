//! One wave of independent requests, sent together: a check costs a few round trips, not one per object.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Method;
use kube::Client;
use serde_json::Value;
use tokio::task::JoinSet;

use super::api::{self, Read};
use super::connect::Connection;
use super::memo::{decode_list, Items, ReadMemo, Reply};
use super::ClusterError;
use crate::refs::{TargetRef, WorkloadKind};

/// What an answer is for; decides how it lands in the objects.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    SourceStream,
    SourceImage,
    DestStream,
    DestTag,
    Target(TargetRef),
    /// A list over all namespaces, for discovery.
    AllWorkloads(WorkloadKind),
    WorkloadsIn(WorkloadKind, String),
    Rc,
    TriggerStream,
    /// Lists for `image.seen`, per namespace: streams (tag history) and rollouts.
    StreamsIn(String),
    RcsIn(String),
    ReplicaSetsIn(String),
    RoleBindings(String),
    ClusterRoleBindings,
    Role,
    ClusterRole,
    /// May `system:serviceaccount:<ns>:<sa>` pull the destination stream?
    PullReview {
        ns: String,
        sa: String,
    },
    CanTag,
    CanRollOut(TargetRef),
}

/// One request; `fallback` is tried when the first is refused or not served.
#[derive(Debug, Clone)]
pub struct Call {
    pub want: Want,
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub fallback: Option<(String, Value)>,
}

impl Call {
    pub fn get(want: Want, path: String) -> Call {
        Call {
            want,
            method: Method::GET,
            path,
            body: None,
            fallback: None,
        }
    }

    pub fn post(want: Want, path: &str, body: Value) -> Call {
        Call {
            want,
            method: Method::POST,
            path: path.to_string(),
            body: Some(body),
            fallback: None,
        }
    }
}

/// The answer to a [`Call`]; `path` is the request that gave it, `refusals` the messages of
/// every refused attempt (fallback included).
#[derive(Debug, Clone)]
pub struct Answer {
    pub want: Want,
    pub path: String,
    pub read: Read<Value>,
    pub refusals: Vec<String>,
    /// A list already decoded by the batch's memo (`read` is then `Found(null)`).
    pub items: Option<Items>,
}

type Pending = Pin<Box<dyn Future<Output = Result<(usize, Answer), ClusterError>> + Send>>;

/// [`send`] through the batch's memo when there is one: the same read (same method, path
/// and body) is sent once per batch.
async fn run(
    client: Client,
    memo: Option<Arc<ReadMemo>>,
    call: Call,
) -> Result<Answer, ClusterError> {
    let Some(memo) = memo else {
        return send(client, call).await;
    };
    let body = call.body.as_ref().map(Value::to_string).unwrap_or_default();
    let key = format!("{} {} {body}", call.method, call.path);
    let want = call.want.clone();
    let reply = memo
        .reply(key, async move {
            let a = send(client, call).await?;
            let (read, items) = match a.read {
                Read::Found(v) => match decode_list(&a.want, &a.path, v.clone())? {
                    // The JSON is not needed again: the typed list is.
                    Some(items) => (Read::Found(Value::Null), Some(items)),
                    None => (Read::Found(v), None),
                },
                other => (other, None),
            };
            Ok(Reply {
                path: a.path,
                read,
                refusals: a.refusals,
                items,
            })
        })
        .await?;
    Ok(Answer {
        want,
        path: reply.path,
        read: reply.read,
        refusals: reply.refusals,
        items: reply.items,
    })
}

async fn send(client: Client, call: Call) -> Result<Answer, ClusterError> {
    let first = api::send(&client, call.method.clone(), &call.path, call.body.as_ref()).await?;
    let mut refusals = Vec::new();
    if let Read::Forbidden(m) = &first {
        refusals.push(m.clone());
    }
    match (first, call.fallback) {
        (Read::Found(v), _) => Ok(Answer {
            want: call.want,
            path: call.path,
            read: Read::Found(v),
            refusals,
            items: None,
        }),
        (_, Some((path, body))) => {
            let second = api::send(&client, Method::POST, &path, Some(&body)).await?;
            if let Read::Forbidden(m) = &second {
                refusals.push(m.clone());
            }
            Ok(Answer {
                want: call.want,
                path,
                read: second,
                refusals,
                items: None,
            })
        }
        (read, None) => Ok(Answer {
            want: call.want,
            path: call.path,
            read,
            refusals,
            items: None,
        }),
    }
}

/// Sends every call at once and returns the answers in the order of the calls. The first
/// error ends the wave (the other requests are cancelled).
pub async fn run_wave(conn: &Connection, calls: Vec<Call>) -> Result<Vec<Answer>, ClusterError> {
    let client = &conn.client;
    let n = calls.len();
    tracing::debug!(requests = n, "wave");
    let mut set: JoinSet<Result<(usize, Answer), ClusterError>> = JoinSet::new();
    for (i, call) in calls.into_iter().enumerate() {
        let client = client.clone();
        let memo = conn.memo.clone();
        let task: Pending = Box::pin(async move { run(client, memo, call).await.map(|a| (i, a)) });
        set.spawn(task);
    }
    let mut out: Vec<Option<Answer>> = vec![None; n];
    while let Some(joined) = set.join_next().await {
        let (i, answer) = joined.map_err(|e| ClusterError::Internal(e.to_string()))??;
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(answer);
        }
    }
    Ok(out.into_iter().flatten().collect())
}

//! `tollgate serve`: the validating admission webhook (docs/design/ADMISSION.md). The same
//! gate, rules and decision code as `check`, fed by a watch-fed cache instead of round trips,
//! behind TLS; the rules and the serving certificate are re-read when their files change.

mod http;
mod metrics;
mod pack;
mod server;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admission::Mode;
use crate::cluster::{self, ConnectOptions};
use crate::error::Error;

pub use http::{router, AppState, Limits, ObjectsView};
pub use metrics::Metrics;
pub use pack::{Pack, Reload};
pub use tls::Certificates;

/// Everything `tollgate serve` is told.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub mode: Mode,
    pub policies: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub connect: ConnectOptions,
    pub limits: Limits,
    /// How often the rule files, the configuration and the certificate are checked for changes.
    pub reload_interval: Duration,
}

/// A server that is running: where it listens, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets open requests finish, and waits for the server to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts serving with the objects of `view` (the cache in production; fixed objects in
/// tests): binds, loads the certificate and the rules, and returns at once.
pub async fn start(
    opts: &ServeOptions,
    pack: Arc<Pack>,
    view: Arc<dyn ObjectsView>,
) -> Result<Running, Error> {
    let certs = Certificates::load(&opts.tls_cert, &opts.tls_key).map_err(Error::Serve)?;
    let tls = certs.server_config().map_err(Error::Serve)?;
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| Error::Serve(format!("cannot listen on {}: {e}", opts.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Serve(format!("cannot listen on {}: {e}", opts.listen)))?;
    let metrics = Arc::new(Metrics::default());
    let state = AppState::new(pack.clone(), view, opts.mode, metrics.clone(), opts.limits);
    let (stop, stopped) = watch::channel(false);
    let reloads = tokio::spawn(reload_loop(
        pack,
        certs,
        metrics.clone(),
        opts.reload_interval,
        stopped.clone(),
    ));
    let app = router(state);
    let task = tokio::spawn(async move {
        server::serve(listener, tls, app, stopped).await;
        reloads.abort();
    });
    tracing::info!(%addr, mode = %opts.mode, "serving admission reviews");
    Ok(Running {
        addr,
        metrics,
        stop,
        task,
    })
}

/// Re-reads the rules, the configuration and the certificate every `every`; a change that is
/// unusable is logged and counted, and what was in force stays.
async fn reload_loop(
    pack: Arc<Pack>,
    certs: Arc<Certificates>,
    metrics: Arc<Metrics>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let p = pack.clone();
        // Reading and compiling a pack is blocking work.
        match tokio::task::spawn_blocking(move || p.reload()).await {
            Ok(Ok(Reload::Unchanged)) => {}
            Ok(Ok(Reload::Loaded(digest))) => {
                metrics.reload(true);
                tracing::info!(rules_digest = %digest, "rules reloaded");
            }
            Ok(Err(why)) => {
                metrics.reload(false);
                tracing::error!(error = %why, "new rules refused; the previous rules stay in force");
            }
            Err(e) => tracing::error!(error = %e, "rule reload failed"),
        }
        match certs.reload() {
            Ok(false) => {}
            Ok(true) => tracing::info!("serving certificate reloaded"),
            Err(why) => {
                tracing::warn!(error = %why, "new serving certificate refused; the previous one stays")
            }
        }
    }
}

/// `tollgate serve`: connects, starts the cache and the server, and runs until SIGTERM/SIGINT.
pub fn run(opts: ServeOptions) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Serve(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        // The rules and the certificate first: a broken file must not cost a connection.
        let pack = Arc::new(Pack::load(&opts.policies, opts.config.as_deref())?);
        Certificates::load(&opts.tls_cert, &opts.tls_key).map_err(Error::Serve)?;
        // Watches stream for as long as they last: no per-request deadline on this client.
        let mut connect = opts.connect.clone();
        connect.request_timeout = None;
        let conn = cluster::connect(&connect).await?;
        let cache = crate::cache::Cache::start(conn.client.clone());
        let running = start(&opts, pack, Arc::new(cache)).await?;
        shutdown_signal().await;
        tracing::info!("shutting down");
        running.stop().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

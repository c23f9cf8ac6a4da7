//! `tollgate serve`: arguments → [`crate::serve::run`]; returns when the server is stopped.

use crate::admission::Mode;
use crate::cli::{ModeArg, ServeArgs};
use crate::cluster::ConnectOptions;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::serve::{self, Limits, ServeOptions};

pub fn serve(args: &ServeArgs) -> Result<ExitStatus, Error> {
    serve::run(options(args)?)?;
    Ok(ExitStatus::Allowed)
}

/// The server's options from its flags; flags that cannot work together are refused here.
pub fn options(args: &ServeArgs) -> Result<ServeOptions, Error> {
    if !args.policy.fail_on.is_empty() {
        // At admission a warning is a warning the client prints; what must block is the rule's
        // level, which the configuration sets for check and serve alike.
        return Err(Error::Usage(
            "--fail-on does not apply to serve: make a rule block with `level: deny` under \
             `rules:` in tollgate.yaml"
                .into(),
        ));
    }
    if args.decision_timeout.is_zero() {
        return Err(Error::Usage(
            "--decision-timeout must be more than 0: an admission request cannot wait forever"
                .into(),
        ));
    }
    if args.reload_interval.is_zero() {
        return Err(Error::Usage(
            "--reload-interval must be more than 0 (e.g. 5s)".into(),
        ));
    }
    if args.max_request_bytes < 1024 {
        return Err(Error::Usage(format!(
            "--max-request-bytes {} is too small for any AdmissionReview (at least 1024)",
            args.max_request_bytes
        )));
    }
    Ok(ServeOptions {
        listen: args.listen,
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        mode: match args.mode {
            ModeArg::Enforce => Mode::Enforce,
            ModeArg::Warn => Mode::Warn,
            ModeArg::Audit => Mode::Audit,
        },
        policies: args.policy.policies.clone(),
        config: args.policy.config.clone(),
        connect: ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            namespace: None,
            request_timeout: None,
        },
        limits: Limits {
            max_body: args.max_request_bytes,
            decide_timeout: args.decision_timeout,
            ..Limits::default()
        },
        reload_interval: args.reload_interval,
    })
}

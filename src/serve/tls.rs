//! The serving certificate: read from PEM files, checked (the key matches the certificate), and
//! swapped in when the files change — the service CA rotates them in place — without dropping
//! connections or a restart. A broken new pair is refused and the old one keeps serving.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::ServerConfig;

/// A certificate file or key larger than this is not a PEM file (a chain is a few KiB).
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The certificate and key files, and the pair in force.
#[derive(Debug)]
pub struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, [u8; 32])>,
}

impl Certificates {
    /// Reads the pair once; an unusable pair is an error that names the file.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<Certificates>, String> {
        let (pair, fingerprint) = read_pair(cert, key)?;
        Ok(Arc::new(Certificates {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new((pair, fingerprint)),
        }))
    }

    /// Re-reads the files; `Ok(true)` when a new pair is now served, `Ok(false)` when nothing
    /// changed, `Err` (the old pair stays) when the new files are unusable — including the
    /// moment between the writes of the certificate and of its key.
    pub fn reload(&self) -> Result<bool, String> {
        let (cert, key) = (read(&self.cert)?, read(&self.key)?);
        let fingerprint = fingerprint(&cert, &key);
        if self.fingerprint() == fingerprint {
            return Ok(false);
        }
        let pair = parse_pair(&cert, &key, &self.cert, &self.key)?;
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = (pair, fingerprint);
        Ok(true)
    }

    fn fingerprint(&self) -> [u8; 32] {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }

    /// The rustls configuration that always serves the current pair (HTTP/1.1 only: the API
    /// server speaks it to webhooks and it keeps each connection's work small).
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>, String> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0
                .clone(),
        )
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    crate::input::read_text(path, MAX_PEM_BYTES, None)
        .map(String::into_bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn fingerprint(cert: &[u8], key: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((cert.len() as u64).to_be_bytes());
    h.update(cert);
    h.update(key);
    h.finalize().into()
}

fn read_pair(cert: &Path, key: &Path) -> Result<(Arc<CertifiedKey>, [u8; 32]), String> {
    let (c, k) = (read(cert)?, read(key)?);
    Ok((parse_pair(&c, &k, cert, key)?, fingerprint(&c, &k)))
}

fn parse_pair(
    cert: &[u8],
    key: &[u8],
    cert_path: &Path,
    key_path: &Path,
) -> Result<Arc<CertifiedKey>, String> {
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert_path.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: no certificate in the file (expected PEM `BEGIN CERTIFICATE`)",
            cert_path.display()
        ));
    }
    // The key's bytes are never part of a message.
    let private = PrivateKeyDer::from_pem_slice(key).map_err(|_| {
        format!(
            "{}: not a PEM private key (PKCS#8, PKCS#1 or SEC1)",
            key_path.display()
        )
    })?;
    CertifiedKey::from_der(chain, private, &default_provider())
        .map(Arc::new)
        .map_err(|e| {
            format!(
                "{} and {}: the key does not fit the certificate or is not supported: {e}",
                key_path.display(),
                cert_path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name)
    }

    #[test]
    fn a_pair_loads_and_a_rotated_pair_replaces_it_while_a_broken_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::copy(fixture("server.pem"), &cert).unwrap();
        std::fs::copy(fixture("server-key.pem"), &key).unwrap();
        let certs = Certificates::load(&cert, &key).unwrap();
        let first = certs.fingerprint();
        assert_eq!(certs.reload(), Ok(false), "nothing changed");

        // The certificate is rotated first, the key a moment later: the mismatch is refused
        // and the old pair keeps serving.
        std::fs::copy(fixture("server2.pem"), &cert).unwrap();
        let e = certs.reload().unwrap_err();
        assert!(e.contains("does not fit the certificate"), "{e}");
        assert_eq!(certs.fingerprint(), first);
        std::fs::copy(fixture("server2-key.pem"), &key).unwrap();
        assert_eq!(certs.reload(), Ok(true));
        assert_ne!(certs.fingerprint(), first);

        std::fs::write(&key, "not a key").unwrap();
        let e = certs.reload().unwrap_err();
        assert!(e.contains("tls.key: not a PEM private key"), "{e}");
        assert!(
            !e.contains("not a key"),
            "the key's bytes are never echoed: {e}"
        );
    }

    #[test]
    fn unusable_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let e = Certificates::load(&empty, &fixture("server-key.pem")).unwrap_err();
        assert!(e.contains("empty.pem: no certificate"), "{e}");
        let e = Certificates::load(&dir.path().join("missing.pem"), &empty).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
    }
}

//! The warn-level rules of the pack (build-provenance, image-age, no-downgrade, reaches-a-target):
//! each passes on the allowed state and warns, or skips, on a tweak of it.

use tollgate::config::Settings;
use tollgate::facts::sample_facts;
use tollgate::policy::Outcome;

use super::{eval, eval_with, expect, tweak};

#[test]
fn build_provenance() {
    let no_commit = tweak(|f| {
        if let Some(b) = f.image.build.as_mut() {
            b.commit = None;
        }
    });
    expect(
        &eval("build-provenance", &no_commit),
        Outcome::Warn,
        &[
            "carries no build commit",
            "io.openshift.build.commit.id",
            "dev/simple-app:latest",
        ],
    );
    let unknown = tweak(|f| f.image.build = None);
    expect(
        &eval("build-provenance", &unknown),
        Outcome::Warn,
        &["build metadata of image sha256:", "is unknown"],
    );
}

#[test]
fn image_age() {
    let old = tweak(|f| f.image.age_hours = Some(45.0 * 24.0 + 3.0));
    expect(
        &eval("image-age", &old),
        Outcome::Warn,
        &["is 45 days old", "more than 30", "rebuild"],
    );
    let strict = Settings::parse(
        "rules:\n  image-age:\n    params: {max_age_days: 0.1}\n",
        "tollgate.yaml",
    )
    .unwrap();
    expect(
        &eval_with("image-age", &sample_facts(), &strict),
        Outcome::Warn,
        &["more than 0.1"],
    );
    let lenient = Settings::parse(
        "rules:\n  image-age:\n    params: {max_age_days: 60}\n",
        "t.yaml",
    )
    .unwrap();
    expect(&eval_with("image-age", &old, &lenient), Outcome::Pass, &[]);
    // Without age_hours the age is computed from the creation time.
    let computed = tweak(|f| {
        f.image.age_hours = None;
        f.image.created = Some("2024-01-01T12:00:00Z".into());
    });
    expect(
        &eval("image-age", &computed),
        Outcome::Warn,
        &["is 64 days old"],
    );
    let unknown = tweak(|f| {
        f.image.age_hours = None;
        f.image.created = None;
    });
    expect(&eval("image-age", &unknown), Outcome::Warn, &["is unknown"]);
    let bad = Settings::parse(
        "rules:\n  image-age:\n    params: {max_age_days: soon}\n",
        "t.yaml",
    )
    .unwrap();
    let r = eval_with("image-age", &sample_facts(), &bad);
    expect(&r, Outcome::Error, &["max_age_days must be a number"]);
}

#[test]
fn no_downgrade() {
    let older = tweak(|f| f.image.created = Some("2024-02-01T00:00:00Z".into()));
    expect(
        &eval("no-downgrade", &older),
        Outcome::Warn,
        &[
            "is older than the image dev/simple-app:promote points at now",
            "--reason",
        ],
    );
    let fresh = tweak(|f| {
        f.destination.exists = Some(false);
        f.destination.digest = None;
        f.destination.image_created = None;
    });
    expect(
        &eval("no-downgrade", &fresh),
        Outcome::Skip,
        &["dev/simple-app:promote does not exist yet"],
    );
    let unknown = tweak(|f| f.destination.image_created = None);
    expect(
        &eval("no-downgrade", &unknown),
        Outcome::Warn,
        &["is unknown"],
    );
}

#[test]
fn reaches_a_target() {
    let none = tweak(|f| f.targets.clear());
    expect(
        &eval("reaches-a-target", &none),
        Outcome::Warn,
        &["no DeploymentConfig or Deployment consumes dev/simple-app:promote"],
    );
    let elsewhere = tweak(|f| f.targets[0].triggers[1].consumes_promotion = false);
    expect(
        &eval("reaches-a-target", &elsewhere),
        Outcome::Warn,
        &[
            "none of the targets (prod/dc/simple-app)",
            "--from-image=dev/simple-app:promote",
        ],
    );
}

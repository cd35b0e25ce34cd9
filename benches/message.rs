//! Messages built per second for the bundled example issue: the per-recipient
//! path (copy the template, substitute token and Message-ID, write To), with
//! no DKIM, with RSA-2048, and with Ed25519; and RSA-2048 signing alone for
//! comparison. Run with `cargo bench --bench message`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gazette::config::DkimKey;
use gazette::message::dkim::{Algorithm, Signer, generate};
use gazette::message::token::Secret;
use gazette::message::{Factory, Kind, Recipient};
use gazette::{Newsletter, render};
use std::hint::black_box;
use std::path::Path;

fn factory(signers: Vec<Signer>) -> Factory {
    let newsletter = Newsletter::open(Path::new(".")).expect("run from the repository root");
    let draft = newsletter
        .load_ok(Path::new("drafts/2026-11-29-41.toml"))
        .expect("example draft")
        .draft;
    let config = newsletter.config;
    let rendered = render::render(&draft, &config);
    let secret = Secret::new(&[7u8; 32], "bench").unwrap();
    Factory::new(
        &config,
        &rendered,
        draft.issue,
        1_795_000_000,
        Kind::List,
        secret,
        signers,
    )
}

fn signer(dir: &Path, algorithm: Algorithm) -> Signer {
    let (pem, _) = generate(algorithm).unwrap();
    let path = dir.join(format!("{algorithm:?}.pem"));
    std::fs::write(&path, pem).unwrap();
    Signer::load(&DkimKey {
        selector: "b".into(),
        domain: "platformnotes.example".into(),
        key_file: path,
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("no DKIM", vec![]),
        ("DKIM RSA-2048", vec![signer(dir.path(), Algorithm::Rsa)]),
        ("DKIM Ed25519", vec![signer(dir.path(), Algorithm::Ed25519)]),
    ];
    let mut group = c.benchmark_group("build message");
    group.throughput(Throughput::Elements(1));
    for (name, signers) in cases {
        let f = factory(signers);
        assert!(
            f.is_templated(),
            "the example issue should take the substitution path"
        );
        let mut out = Vec::with_capacity(32 * 1024);
        let mut id = 0i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                id += 1;
                let r = Recipient {
                    id: Some(id),
                    email: "reader@example.org",
                    name: Some("A Reader"),
                };
                black_box(f.build(&r, &mut out).unwrap());
            })
        });
    }
    group.finish();

    // The floor for the DKIM case: RSA-2048 signing of a 32-byte digest.
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut sig = vec![0u8; key.public_modulus_len()];
    c.bench_function("RSA-2048 sign only", |b| {
        b.iter(|| {
            key.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                black_box(b"digest of headers"),
                &mut sig,
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

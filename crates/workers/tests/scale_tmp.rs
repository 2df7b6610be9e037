mod common;
use common::*;
use kurier_workers::{DeliveryEngine, EngineConfig, Transport};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn scale() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    let body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n".repeat(2);
    let t = std::time::Instant::now();
    for n in 0..20000u32 {
        enqueue(&store, &message(n, &format!("u{n}@example.de"), &body)).await;
    }
    eprintln!("enqueue: {:?}", t.elapsed());
    let bad = store.outbox_entry(&message(3, "u3@example.de", "").key).await.unwrap().unwrap();
    eprintln!("{:?}", bad.state);
    for (name, transport) in [("capture", Transport::Capture)] {
        let engine = DeliveryEngine::new(store.clone(), transport, EngineConfig { batch_size: 256, ..Default::default() });
        let t = std::time::Instant::now();
        let r = engine.drain().await.unwrap();
        let el = t.elapsed();
        eprintln!("{name}: {r:?} in {el:?} = {:.0}/s", r.attempted() as f64 / el.as_secs_f64());
    }
    
}

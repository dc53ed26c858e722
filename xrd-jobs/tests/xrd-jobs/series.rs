//! The series job: cancelled from its progress callback and from another thread, resumed to the
//! rows of an uncancelled run.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use xrd_jobs::{Control, Error, RowValue, Series, SeriesEvent, SeriesOptions, series_row};

use crate::fixtures;

/// How soon after a cancel a job must have returned.
const CANCEL_LATENCY: Duration = Duration::from_millis(100);
const FRAMES: usize = 4;

fn options(cif: &Path) -> SeriesOptions {
    SeriesOptions {
        phases: vec![cif.display().to_string()],
        stages: vec!["scale".into(), "cells".into()],
        particle_size: Some(0.0),
        ..Default::default()
    }
}

/// Every row's numbers, for comparing runs (the texts must be equal).
fn rows(output: &xrd_jobs::SeriesOutput) -> Vec<Vec<RowValue>> {
    output
        .series
        .frames
        .iter()
        .map(|f| series_row(f, output.phases.len()))
        .collect()
}

fn same(a: &[Vec<RowValue>], b: &[Vec<RowValue>]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.len(), y.len());
        for (u, v) in x.iter().zip(y) {
            match (u, v) {
                (RowValue::Number { value: p, .. }, RowValue::Number { value: q, .. }) => {
                    assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0), "{p} against {q}")
                }
                _ => assert_eq!(u, v),
            }
        }
    }
}

#[test]
fn a_cancelled_series_stops_soon_keeps_its_frames_and_resumes_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), FRAMES);
    let whole = Series::new(options(&cif))
        .unwrap()
        .run(
            files.clone(),
            Some(&dir.path().join("whole")),
            &Control::new(),
            |_| Ok(()),
        )
        .unwrap();
    assert_eq!(whole.series.frames.len(), FRAMES);

    // Cancelled from the progress callback once two frames are done.
    let out = dir.path().join("cut");
    let cancelled_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let (control, at) = (Control::new(), cancelled_at.clone());
    let cancel = control.clone();
    let control = control.on_progress(move |p| {
        if p.what == "frames" && p.done == 2 {
            *at.lock().unwrap() = Some(Instant::now());
            cancel.cancel();
        }
    });
    let job = Series::new(options(&cif)).unwrap();
    let mut landed = 0;
    let r = job.run(files.clone(), Some(&out), &control, |e| {
        if let SeriesEvent::Frame(..) = e {
            landed += 1;
        }
        Ok(())
    });
    let returned = Instant::now();
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    let at = cancelled_at.lock().unwrap().unwrap();
    assert!(returned - at < CANCEL_LATENCY, "{:?}", returned - at);
    assert_eq!(landed, 2);
    let kept = std::fs::read_to_string(out.join(xrd_jobs::ROWS_FILE)).unwrap();
    assert_eq!(kept.lines().count(), 2);
    assert!(out.join(xrd_jobs::STATE_FILE).is_file());

    // Resumed: the two frames done are not refitted, and the rows are the whole run's.
    let resumed = SeriesOptions {
        resume: true,
        ..options(&cif)
    };
    let mut started_with = None;
    let again = Series::new(resumed)
        .unwrap()
        .run(files, Some(&out), &Control::new(), |e| {
            if let SeriesEvent::Started { done, .. } = e {
                started_with = Some(done.len());
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(started_with, Some(2));
    same(&rows(&again), &rows(&whole));
}

#[test]
fn a_series_cancelled_from_another_thread_returns_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), FRAMES);
    let job = Series::new(options(&cif)).unwrap();
    let control = Control::new();
    // The first frame's event waits until the other thread has cancelled, so that the cancel
    // lands at a known point: the job must then stop at its next check.
    let (tell, heard) = std::sync::mpsc::channel::<()>();
    let (ack, acked) = std::sync::mpsc::channel::<()>();
    let once = Mutex::new(Some((tell, acked)));
    let control = control.on_progress(move |p| {
        if p.what == "frames"
            && p.done >= 1
            && let Some((tell, acked)) = once.lock().unwrap().take()
        {
            tell.send(()).unwrap();
            acked.recv_timeout(Duration::from_secs(10)).unwrap();
        }
    });
    let canceller = control.clone();
    let watcher = std::thread::spawn(move || {
        heard.recv().unwrap();
        canceller.cancel();
        let at = Instant::now();
        ack.send(()).unwrap();
        at
    });
    let r = job.run(files, None, &control, |_| Ok(()));
    let returned = Instant::now();
    let at = watcher.join().unwrap();
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(returned - at < CANCEL_LATENCY, "{:?}", returned - at);
}

#[test]
fn resuming_another_runs_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 2);
    let out = dir.path().join("run");
    Series::new(options(&cif))
        .unwrap()
        .run(files.clone(), Some(&out), &Control::new(), |_| Ok(()))
        .unwrap();
    let reversed: Vec<_> = files.into_iter().rev().collect();
    let resumed = SeriesOptions {
        resume: true,
        ..options(&cif)
    };
    let r = Series::new(resumed)
        .unwrap()
        .run(reversed, Some(&out), &Control::new(), |_| Ok(()));
    assert_eq!(xrd_core::refused(r), "resume");
}

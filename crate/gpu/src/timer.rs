//! The GPU time of each interpolation, for callers that adapt to it (the extension's ladder):
//! two timestamps around the command buffer's compute work, read back without stalling.
//!
//! Each interpolation takes one of a few slots: its two timestamps go into the slot's pair of
//! queries, are resolved into the slot's 16-byte buffer and copied into the slot's mappable one,
//! all in the interpolation's own command buffer (no extra submission, no dispatch). After the
//! submit the mappable buffer is mapped asynchronously; its callback turns the ticks into
//! milliseconds and frees the slot. A slot is only reused once its map is done, so a pending map
//! never blocks the next frame: when every slot is still in flight (a GPU far behind, or a
//! native caller that never polls), that interpolation is simply not timed. Only the 16 bytes
//! come back; no pixel is read.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Interpolations in flight with timestamps at once. Two would do for a caller that waits for
/// each frame (the extension does); a few more absorb a caller that queues frames ahead.
const SLOTS: usize = 4;
/// Results kept for `wait`: enough that an awaited interpolation's figure is still there when the
/// caller asks a few frames later.
const HISTORY: usize = 2 * SLOTS;
/// Two u64 ticks: begin, end.
const BYTES: u64 = 16;

pub(crate) struct Timer {
    queries: wgpu::QuerySet,
    /// QUERY_RESOLVE targets, one per slot (a resolve's offset must be a multiple of 256, so one
    /// small buffer each is simpler than one buffer with gaps).
    resolved: Vec<wgpu::Buffer>,
    /// MAP_READ copies of them.
    readback: Vec<wgpu::Buffer>,
    /// Nanoseconds per tick (1 on WebGPU, which gives nanoseconds).
    period_ns: f64,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Default)]
struct Shared {
    /// Serial of the last interpolation that asked for a slot, timed or not (0: none yet).
    latest: u64,
    /// For each slot, the serial of the interpolation whose map is still pending there.
    pending: [Option<u64>; SLOTS],
    /// The latest results, oldest first: (serial, milliseconds, or None when unusable).
    done: VecDeque<(u64, Option<f64>)>,
    /// The last usable figure, ms.
    last: Option<f64>,
    wakers: Vec<Waker>,
}

/// An interpolation being timed: the queries its passes write (`Recorder`).
#[derive(Clone, Copy)]
pub(crate) struct Span<'a> {
    pub queries: &'a wgpu::QuerySet,
    /// The begin query's index; the end one is the next.
    pub begin: u32,
}

/// The slot an interpolation took, to finish once its passes are recorded.
pub(crate) struct Ticket {
    serial: u64,
    slot: Option<usize>,
}

impl Timer {
    /// None where the device lacks `timestamp-query`: callers then fall back to wall time.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Option<Self> {
        if !device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        let buffers = |label: &str, usage| {
            (0..SLOTS)
                .map(|_| {
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(label),
                        size: BYTES,
                        usage,
                        mapped_at_creation: false,
                    })
                })
                .collect()
        };
        Some(Self {
            queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("gpu time"),
                ty: wgpu::QueryType::Timestamp,
                count: 2 * SLOTS as u32,
            }),
            resolved: buffers(
                "gpu time resolve",
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            ),
            readback: buffers(
                "gpu time readback",
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
            period_ns: queue.get_timestamp_period() as f64,
            shared: Arc::default(),
        })
    }

    /// A new interpolation: a free slot for its timestamps, if any. Either way it becomes the
    /// latest, so that `wait` on it answers None rather than an older frame's figure.
    pub fn start(&self) -> Ticket {
        let mut s = self.shared.lock().unwrap();
        s.latest += 1;
        let serial = s.latest;
        let slot = s.pending.iter().position(Option::is_none);
        if let Some(i) = slot {
            s.pending[i] = Some(serial);
        }
        Ticket { serial, slot }
    }

    pub fn span(&self, ticket: &Ticket) -> Option<Span<'_>> {
        ticket.slot.map(|i| Span {
            queries: &self.queries,
            begin: 2 * i as u32,
        })
    }

    /// After the passes (which wrote the slot's queries, `written`): the resolve and the copy
    /// into the mappable buffer, in the same command buffer.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder, ticket: &mut Ticket, written: bool) {
        let Some(i) = ticket.slot else { return };
        if !written {
            // No pass was recorded, so nothing to resolve: free the slot at once.
            self.settle(ticket.serial, i, None);
            ticket.slot = None;
            return;
        }
        let q = 2 * i as u32;
        encoder.resolve_query_set(&self.queries, q..q + 2, &self.resolved[i], 0);
        encoder.copy_buffer_to_buffer(&self.resolved[i], 0, &self.readback[i], 0, BYTES);
    }

    /// After the submit: maps the slot's buffer; its callback stores the figure and frees the
    /// slot. Nothing waits for it here.
    pub fn submitted(&self, ticket: Ticket) {
        let Some(i) = ticket.slot else { return };
        let buffer = self.readback[i].clone();
        let shared = self.shared.clone();
        let period_ns = self.period_ns;
        let serial = ticket.serial;
        self.readback[i]
            .clone()
            .map_async(wgpu::MapMode::Read, .., move |r| {
                let ms = r.ok().and_then(|()| {
                    let ticks: Vec<u64> = buffer
                        .get_mapped_range(..)
                        .ok()
                        .map(|m| bytemuck::pod_collect_to_vec(&m))?;
                    buffer.unmap();
                    ticks_ms(&ticks, period_ns)
                });
                settle(&shared, serial, i, ms);
            });
    }

    fn settle(&self, serial: u64, slot: usize, ms: Option<f64>) {
        settle(&self.shared, serial, slot, ms);
    }

    /// The last usable figure, ms.
    pub fn last(&self) -> Option<f64> {
        self.shared.lock().unwrap().last
    }

    /// The figure of the latest interpolation, once its timestamps are read: None when it was
    /// not timed or its values were unusable. Owns what it needs, so it outlives a borrow of the
    /// engine (the browser awaits it as a Promise).
    pub fn wait_latest(&self) -> TimeFuture {
        let serial = self.shared.lock().unwrap().latest;
        TimeFuture {
            shared: self.shared.clone(),
            serial,
        }
    }
}

/// Milliseconds between the two ticks, or None when they cannot be a measurement: an end not
/// after its begin (a quantised timer, or queries that were never written read as zeros).
fn ticks_ms(ticks: &[u64], period_ns: f64) -> Option<f64> {
    let (&begin, &end) = (ticks.first()?, ticks.get(1)?);
    let ms = end.checked_sub(begin).filter(|&d| d > 0)? as f64 * period_ns * 1e-6;
    ms.is_finite().then_some(ms).filter(|&ms| ms > 0.0)
}

fn settle(shared: &Mutex<Shared>, serial: u64, slot: usize, ms: Option<f64>) {
    let wakers = {
        let mut s = shared.lock().unwrap();
        if s.pending[slot] == Some(serial) {
            s.pending[slot] = None;
        }
        s.done.push_back((serial, ms));
        while s.done.len() > HISTORY {
            s.done.pop_front();
        }
        if ms.is_some() {
            s.last = ms;
        }
        std::mem::take(&mut s.wakers)
    };
    for w in wakers {
        w.wake();
    }
}

/// `Timer::wait_latest`'s answer.
pub struct TimeFuture {
    shared: Arc<Mutex<Shared>>,
    serial: u64,
}

impl TimeFuture {
    /// Ready at once with None: for an engine with no timer.
    pub(crate) fn none() -> Self {
        Self {
            shared: Arc::default(),
            serial: 0,
        }
    }
}

impl Future for TimeFuture {
    type Output = Option<f64>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.shared.lock().unwrap();
        if let Some(&(_, ms)) = s.done.iter().find(|(serial, _)| *serial == self.serial) {
            return Poll::Ready(ms);
        }
        if !s.pending.contains(&Some(self.serial)) {
            // Never timed (no free slot, or no interpolation yet), or long gone from the history.
            return Poll::Ready(None);
        }
        s.wakers.push(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        assert_eq!(ticks_ms(&[1_000, 3_001_000], 1.0), Some(3.0));
        assert_eq!(ticks_ms(&[10, 20], 0.5e6), Some(5.0));
        // Unwritten queries, a quantised zero, an end before its begin, too few values.
        assert_eq!(ticks_ms(&[0, 0], 1.0), None);
        assert_eq!(ticks_ms(&[500, 500], 1.0), None);
        assert_eq!(ticks_ms(&[500, 100], 1.0), None);
        assert_eq!(ticks_ms(&[500], 1.0), None);
    }
}

//! Reading GPU buffers back without blocking: `map_async` and a future that its callback wakes.
//! Natively the device is polled until the map is done; in the browser the event loop does it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::{Error, Result};

#[derive(Default)]
struct MapState {
    done: Option<std::result::Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

struct MapFuture(Arc<Mutex<MapState>>);

impl Future for MapFuture {
    type Output = std::result::Result<(), wgpu::BufferAsyncError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.0.lock().unwrap();
        match s.done.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Copies `bytes` bytes of `src` from `offset` into a mappable buffer and reads them.
pub(crate) async fn read_bytes(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    src: &wgpu::Buffer,
    offset: u64,
    bytes: u64,
) -> Result<Vec<u8>> {
    let staging = staging(device, bytes);
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(src, offset, &staging, 0, bytes);
    queue.submit([encoder.finish()]);
    map(device, staging).await
}

/// A whole 2D rgba32float texture (the engine's frames), as `[height][width][4]` f32. Its rows
/// are 16 x width bytes: a multiple of the 256 a copy needs for every width the engine pads to
/// (multiples of 128).
pub(crate) async fn read_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    src: &wgpu::Texture,
) -> Result<Vec<f32>> {
    let row = 16 * src.width();
    debug_assert_eq!(row % wgpu::COPY_BYTES_PER_ROW_ALIGNMENT, 0);
    let staging = staging(device, (row * src.height()) as u64);
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        src.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: None,
            },
        },
        src.size(),
    );
    queue.submit([encoder.finish()]);
    Ok(bytemuck::pod_collect_to_vec(&map(device, staging).await?))
}

fn staging(device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// Maps a staging buffer whose copy is submitted, and reads it.
async fn map(device: &wgpu::Device, staging: wgpu::Buffer) -> Result<Vec<u8>> {
    let state = Arc::new(Mutex::new(MapState::default()));
    let cb_state = state.clone();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let mut s = cb_state.lock().unwrap();
        s.done = Some(r);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    MapFuture(state)
        .await
        .map_err(|e| Error::Gpu(format!("mapping a readback buffer: {e}")))?;
    let data = staging
        .get_mapped_range(..)
        .map_err(|e| Error::Gpu(format!("reading a mapped buffer: {e:?}")))?
        .to_vec();
    staging.unmap();
    Ok(data)
}

pub(crate) async fn read_f32(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    src: &wgpu::Buffer,
    offset_floats: usize,
    floats: usize,
) -> Result<Vec<f32>> {
    let bytes = read_bytes(
        device,
        queue,
        src,
        4 * offset_floats as u64,
        4 * floats as u64,
    )
    .await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Runs a future to completion on this thread (native only; the browser awaits instead).
/// The engine's futures complete during `device.poll`, so this rarely parks.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: Future>(f: F) -> F::Output {
    use std::task::Wake;
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

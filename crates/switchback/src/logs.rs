//! `switchback logs tail GROUP [--follow]`: prints an execution log group's records (JSON lines,
//! `runtime::logs`) from the data directory, and with `--follow` keeps printing what is appended.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

/// Prints the log group's records to `out`; with `follow`, polls for more until killed.
pub fn tail(data_dir: &Path, log_group: &str, follow: bool, out: &mut dyn Write) -> Result<()> {
    let path = runtime::logs::path(data_dir, log_group);
    let mut position = 0_u64;
    loop {
        match std::fs::File::open(&path) {
            Ok(mut file) => {
                let length = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
                if length < position {
                    // The file was replaced: start over.
                    position = 0;
                }
                file.seek(SeekFrom::Start(position))?;
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                // Only whole lines: a record being written shows at the next poll.
                let complete = text.rfind('\n').map_or(0, |index| index + 1);
                out.write_all(&text.as_bytes()[..complete])?;
                out.flush()?;
                position += complete as u64;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if !follow {
                    anyhow::bail!(
                        "no execution log for {log_group} in {} (expected {})",
                        data_dir.display(),
                        path.display()
                    );
                }
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()));
            }
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

"""mpirun -n 2 keepsim sweep equals the serial sweep byte for byte in every dataset (issue 4). Rank 0 hands
out runs; rank 1 runs them. Skipped, saying why, when mpirun is absent, the binary was built without MPI, or
in the sanitizer builds (OpenMPI's own allocations would be reported as leaks)."""
import os
import shutil
import subprocess

from cli_common import KEEPSIM, assert_same_datasets, check, keepsim, main, skip, tmpdir
from sweep_common import SMALL, write_sweep


def skip_reason():
    if shutil.which("mpirun") is None:
        return "mpirun not found (apt-get install openmpi-bin libopenmpi-dev, then rebuild)"
    if any(os.environ.get(v) for v in ("ASAN_OPTIONS", "TSAN_OPTIONS")):
        return "sanitizer build: OpenMPI is not sanitizer-clean"
    if "libmpi" not in subprocess.run(["ldd", KEEPSIM], capture_output=True, text=True).stdout:
        return "keepsim was built without MPI (-DKEEPSIM_MPI=OFF)"
    return None


def test_mpi_two_ranks_equal_serial():
    reason = skip_reason()
    if reason:
        skip(reason)
    d = tmpdir()
    sweep = write_sweep(d, SMALL)
    serial, mpi = os.path.join(d, "serial"), os.path.join(d, "mpi")
    keepsim("sweep", sweep, "-o", serial, "-q", "--jobs", "1")
    # CI runs as root, and has 2 cores: OpenMPI needs both of these to start 2 ranks there.
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    p = subprocess.run(["mpirun", "--oversubscribe", "-n", "2", KEEPSIM, "sweep", sweep, "-o", mpi],
                       capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 0, f"mpirun exited {p.returncode}: {p.stdout}\n{p.stderr}")
    check("8 ok" in p.stdout, p.stdout)
    assert_same_datasets(os.path.join(serial, "sweep.h5"), os.path.join(mpi, "sweep.h5"))
    for i in range(8):
        name = f"run_{i:06d}.h5"
        assert_same_datasets(os.path.join(serial, "runs", name), os.path.join(mpi, "runs", name))
    # A bad sweep file under mpirun: exit code 2 and the message once.
    bad = write_sweep(d, '[factors]\n"cops.density" = [2.0]\n', name="bad.toml")
    p = subprocess.run(["mpirun", "--oversubscribe", "-n", "2", KEEPSIM, "sweep", bad, "-o", os.path.join(d, "b")],
                       capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 2 and p.stderr.count("out of range") == 1, f"{p.returncode}: {p.stderr}")


if __name__ == "__main__":
    main([test_mpi_two_ranks_equal_serial])

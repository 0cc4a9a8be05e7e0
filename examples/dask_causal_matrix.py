"""Build a causal matrix on a Dask cluster, then analyse the file with Dask.

    python examples/dask_causal_matrix.py --n 20000 --workers 2
    python examples/dask_causal_matrix.py --scheduler tcp://host:8786 --dir /cluster/scratch/run1

Without --scheduler a LocalCluster of worker processes on this machine stands in
for a cluster. With one, --dir must be a directory every worker sees at the
same path (docs/dask.md, "Running on a real cluster").
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of sprinkled points")
    parser.add_argument("--dim", type=int, default=4, help="spacetime dimension of the diamond")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (no --scheduler)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--dir", help="directory for C.pycauset (default: a new temporary one)")
    parser.add_argument("--check", action="store_true",
                        help="also build C in this process and compare bit for bit")
    args = parser.parse_args()

    import pycauset as pc
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                     dashboard_address=None))
    directory = args.dir or tempfile.mkdtemp(prefix="pycauset-dask-")
    path = os.path.join(directory, "C.pycauset")
    region = pc.spacetime.MinkowskiDiamond(dim=args.dim)
    try:
        t0 = time.perf_counter()
        cs = pc.sprinkle(region, n=args.n, seed=args.seed, client=client, path=path)
        built = time.perf_counter() - t0
        print(f"built C ({args.n} x {args.n} bits, {os.path.getsize(path) / 2**20:.1f} MiB) "
              f"on {len(client.nthreads())} workers in {built:.2f} s -> {path}")
        print(f"relations R = {cs.relations}, ordering fraction {cs.ordering_fraction:.4f}, "
              f"Myrheim-Meyer dimension {cs.dimension():.3f}")

        # The file as a Dask array: each worker reads its own tiles (bits arrive as bools).
        C = pc.to_dask(path, chunks=(4096, -1))
        future = C.sum(axis=1).compute()  # |future(x)| per element
        past = C.sum(axis=0).compute()    # |past(x)|
        print(f"largest future {int(future.max())}, largest past {int(past.max())}, "
              f"elements with both: {int(np.count_nonzero((future > 0) & (past > 0)))}")

        if args.check:
            single = pc.sprinkle(region, n=args.n, seed=args.seed)
            same = bool((pc.to_numpy(cs.causal_matrix, allow_huge=True)
                         == pc.to_numpy(single.causal_matrix, allow_huge=True)).all())
            print(f"identical to the single-process build: {same}")
            if not same:
                raise SystemExit(1)
    finally:
        client.close()


if __name__ == "__main__":
    main()

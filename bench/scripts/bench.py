#!/usr/bin/env python3
"""dvs benchmark orchestrator, started by bench/run (which installs the tools first).

Targets, measured in alternation (the order rotates every repetition so machine drift
hits all of them alike):
  native   a directory on the disk that holds BENCH_DIR
  bindfs   bindfs --multithreaded -o big_writes over a directory on the same disk
  zfs      zfs-fuse, file-backed pool on the same disk, dedup=on, recordsize=4K
  dvs-emb  dvs mount with its embedded cluster (1 MS + 1 SN in the mount's JVM)
  dvs-mp   dvs on a multi-process cluster: 1 MS, 2 SNs, 1 mount, each its own JVM
and for the dedup data sets also borg and restic (backup tools; stored size only).

Everything it starts it stops by PID; mounts are unmounted in `finally` blocks and at
exit. Raw numbers go to bench/results/<stamp>.json; bench/scripts/report.py turns them
into bench/RESULTS.md.
"""
import argparse
import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)
FIO_JOBS = os.path.join(BENCH, 'fio', 'jobs.fio')

MODES = {
    # fio: per-file size for numjobs=1 and per job for numjobs=4, seconds per job
    'quick': dict(reps=1, dreps=1, fio_size1='128M', fio_size4='32M', fio_runtime=4,
                  kernel_dirs=['kernel', 'mm', 'ipc', 'init'], jdk_dirs=['java-1.17.0-openjdk-amd64/lib/server'],
                  ),
    'full': dict(reps=3, dreps=2, fio_size1='512M', fio_size4='128M', fio_runtime=6,
                 kernel_dirs=['kernel', 'mm', 'fs', 'ipc', 'init', 'block', 'lib', 'crypto', 'security'],
                 jdk_dirs=['java-1.17.0-openjdk-amd64', 'temurin-25-jdk-amd64'],
                 ),
}
FIO_TARGETS = ['native', 'bindfs', 'zfs', 'dvs-emb', 'dvs-mp']
DEDUP_TARGETS = ['native', 'bindfs', 'zfs', 'dvs-emb', 'dvs-mp', 'borg', 'restic']
RSYNC_TARGETS = ['native', 'bindfs', 'zfs', 'dvs-emb', 'dvs-mp']

CHILDREN = []   # Popen objects we started (stopped at exit, by PID)
MOUNTS = []     # mount points we mounted


def log(*a):
    print('[bench %s]' % time.strftime('%H:%M:%S'), *a, file=sys.stderr, flush=True)


def sh(cmd, check=True, timeout=None, capture=True, env=None):
    r = subprocess.run(cmd, shell=isinstance(cmd, str), check=False, timeout=timeout,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None, text=True, env=env)
    if check and r.returncode != 0:
        raise RuntimeError('command failed (%d): %s\n%s%s' % (r.returncode, cmd, r.stdout or '', r.stderr or ''))
    return r


def start(cmd, logfile, env=None):
    f = open(logfile, 'ab')
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    CHILDREN.append(p)
    return p


def stop(p, timeout=60):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log('pid %d did not stop after SIGTERM, killing it' % p.pid)
        p.kill()
        p.wait()


def wait_exit(p, timeout):
    try:
        p.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def unmount(mp):
    if os.path.ismount(mp):
        r = sh(['fusermount', '-u', mp], check=False)
        if r.returncode != 0:
            time.sleep(1)
            sh(['fusermount', '-u', '-z', mp], check=False)
    if mp in MOUNTS:
        MOUNTS.remove(mp)


def cleanup_all():
    for mp in list(MOUNTS):
        unmount(mp)
    for p in reversed(CHILDREN):
        stop(p, timeout=30)


def wait_mount(mp, proc, timeout=90):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if os.path.ismount(mp):
            MOUNTS.append(mp)
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('mount of %s exited with %s' % (mp, proc.returncode))
        time.sleep(0.2)
    raise RuntimeError('%s not mounted after %ds' % (mp, timeout))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def drop_caches():
    os.sync()
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
        return True
    except OSError:
        return False


def parse_size(s):
    m = re.match(r'^([\d.]+)([KMGTP]?)', s.strip())
    if not m:
        return None
    mult = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40, 'P': 1 << 50}[m.group(2)]
    return int(float(m.group(1)) * mult)


def du_bytes(path):
    r = sh(['du', '-sb', path], check=False)
    try:
        return int(r.stdout.split()[0])
    except (ValueError, IndexError):
        return None


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------
class Target:
    """A fresh, empty filesystem; `dir` is where the benchmark writes."""
    dedup = False

    def __init__(self, name, work, cfg):
        self.name, self.cfg = name, cfg
        self.root = os.path.join(work, 'targets', name)
        self.dir = None

    def __enter__(self):
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        self.setup()
        return self

    def __exit__(self, *exc):
        try:
            self.teardown()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def setup(self):
        raise NotImplementedError

    def teardown(self):
        pass

    def settle(self):
        """Make written data durable/visible before reading physical usage."""
        os.sync()

    def drop_caches(self):
        """Before a read job: nothing read or written before may be served from memory."""
        drop_caches()

    def physical(self):
        return None


class Native(Target):
    def setup(self):
        self.dir = os.path.join(self.root, 'dir')
        os.makedirs(self.dir)


class Bindfs(Target):
    def setup(self):
        self.src = os.path.join(self.root, 'src')
        self.dir = os.path.join(self.root, 'mnt')
        os.makedirs(self.src)
        os.makedirs(self.dir)
        # -f: foreground, so that we hold its PID
        self.proc = start(['bindfs', '-f', '--multithreaded', '-o', 'big_writes', self.src, self.dir],
                          os.path.join(self.cfg['work'], 'logs', 'bindfs.log'))
        wait_mount(self.dir, self.proc, 20)

    def teardown(self):
        unmount(self.dir)
        if not wait_exit(self.proc, 20):
            stop(self.proc)


class Zfs(Target):
    dedup = True
    POOL = 'dvsbench'

    def setup(self):
        self.img = os.path.join(self.root, 'pool.img')
        self.dir = os.path.join(self.root, 'mnt')
        os.makedirs(self.dir)
        sh(['truncate', '-s', self.cfg['zfs_pool_size'], self.img])
        self.proc = start(['zfs-fuse', '--no-daemon', '--no-kstat-mount'],
                          os.path.join(self.cfg['work'], 'logs', 'zfs-fuse.log'))
        t0 = time.time()
        while True:  # the daemon needs a moment before zpool can talk to it
            r = sh(['zpool', 'list'], check=False)
            if r.returncode == 0:
                break
            if self.proc.poll() is not None or time.time() - t0 > 30:
                raise RuntimeError('zfs-fuse did not start: %s' % r.stderr)
            time.sleep(0.3)
        sh(['zpool', 'create', '-f', '-O', 'dedup=on', '-O', 'recordsize=4K', '-O', 'compression=off',
            '-O', 'atime=off', '-m', self.dir, self.POOL, self.img])
        wait_mount(self.dir, None, 30)

    def settle(self):
        os.sync()
        time.sleep(6)  # zfs-fuse commits a transaction group every 5 s

    def drop_caches(self):
        """zfs-fuse keeps file data in its ARC, in its own memory, which the kernel's drop_caches
        does not touch: its random reads after a write came from memory (4 KiB random read
        27.6-62.6 MB/s across repetitions, above the native disk's 45). Exporting the pool
        drops its ARC buffers; importing it again mounts the dataset where it was."""
        os.sync()
        if self.dir in MOUNTS:
            MOUNTS.remove(self.dir)  # wait_mount adds it again
        sh(['zpool', 'export', self.POOL])
        sh(['zpool', 'import', '-d', os.path.dirname(self.img), self.POOL])
        wait_mount(self.dir, None, 30)
        drop_caches()

    def physical(self):
        # Unmount the dataset (flushes everything to the pool), then read ALLOC until two
        # readings a transaction group apart agree.
        os.sync()
        sh(['zfs', 'umount', self.POOL], check=False)
        last = None
        for _ in range(12):
            time.sleep(5.5)  # zfs-fuse commits a transaction group every 5 s
            r = sh(['zpool', 'list', '-H', '-o', 'alloc,dedupratio', self.POOL], check=False)
            try:
                alloc, ratio = r.stdout.split()
            except ValueError:
                return None
            if alloc == last:
                break
            last = alloc
        return {'physical_bytes': parse_size(alloc), 'zfs_dedupratio': float(ratio.rstrip('x')), 'zfs_alloc': alloc}

    def teardown(self):
        for _ in range(10):
            r = sh(['zpool', 'destroy', '-f', self.POOL], check=False)
            if r.returncode == 0:
                break
            time.sleep(1)
        if self.dir in MOUNTS:
            MOUNTS.remove(self.dir)
        unmount(self.dir)
        stop(self.proc, 30)


class Dvs(Target):
    """dvs-emb: `dvs mount --data`; dvs-mp: `dvs meta start`, 2 x `dvs node start`, `dvs mount --meta`."""
    dedup = True

    def java(self):
        return ['java'] + self.cfg['java_opts'] + ['-jar', self.cfg['jar']]

    def setup(self):
        self.dir = os.path.join(self.root, 'mnt')
        os.makedirs(self.dir)
        logs = os.path.join(self.cfg['work'], 'logs')
        self.servers = []
        if self.name == 'dvs-emb':
            self.mount = start(self.java() + ['mount', '--data', os.path.join(self.root, 'data'), self.dir],
                               os.path.join(logs, 'dvs-emb.log'))
            wait_mount(self.dir, self.mount, 120)
            self.meta = self.find_meta_port()
        else:
            port = free_port()
            self.meta = '127.0.0.1:%d' % port
            self.servers.append(start(self.java() + ['meta', 'start', '--data', os.path.join(self.root, 'ms'),
                                                     '--port', str(port)], os.path.join(logs, 'dvs-ms.log')))
            for i in range(2):
                self.servers.append(start(self.java() + ['node', 'start', '--data', os.path.join(self.root, 'sn%d' % i),
                                                         '--meta', self.meta], os.path.join(logs, 'dvs-sn%d.log' % i)))
            t0 = time.time()
            while True:
                st = self.status()
                if st and sum(1 for n in st['nodes'] if n.get('up')) >= 2:
                    break
                for s in self.servers:
                    if s.poll() is not None:
                        raise RuntimeError('a dvs server exited (%s); see %s' % (s.args, logs))
                if time.time() - t0 > 90:
                    raise RuntimeError('dvs cluster not up after 90 s')
                time.sleep(0.5)
            self.mount = start(self.java() + ['mount', '--meta', self.meta, self.dir], os.path.join(logs, 'dvs-mp.log'))
            wait_mount(self.dir, self.mount, 120)

    def find_meta_port(self):
        r = sh(['ss', '-ltnpH'], check=False)
        ports = re.findall(r':(\d+)\s.*pid=%d,' % self.mount.pid, r.stdout)
        for p in ports:
            addr = '127.0.0.1:%s' % p
            if self.status(addr) is not None:
                return addr
        log('dvs-emb: could not find the embedded MS port among %s' % ports)
        return None

    def status(self, addr=None):
        addr = addr or self.meta
        if addr is None:
            return None
        r = sh(['java', '-jar', self.cfg['jar'], 'status', '--meta', addr, '--json'], check=False, timeout=60)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout[r.stdout.index('{'):])
        except ValueError:
            return None

    def settle(self):
        os.sync()
        time.sleep(2.5)  # the client ships its metadata group at least every second

    def physical(self):
        self.settle()
        last = None
        for _ in range(20):  # wait until the SN counters stop moving
            st = self.status()
            if st is None:
                return None
            cur = (sum(n['usedBlocks'] for n in st['nodes']), sum(n['mappedPas'] for n in st['nodes']))
            if cur == last:
                break
            last = cur
            time.sleep(1.5)
        return {'physical_bytes': last[0] * 4096, 'used_blocks': last[0], 'mapped_pas': last[1],
                'nodes': len(st['nodes'])}

    def teardown(self):
        unmount(self.dir)
        if not wait_exit(self.mount, 180):
            log('dvs mount did not exit after unmount; stopping it')
            stop(self.mount)
        for s in reversed(self.servers):
            stop(s, 60)


TARGETS = {'native': Native, 'bindfs': Bindfs, 'zfs': Zfs, 'dvs-emb': Dvs, 'dvs-mp': Dvs}


def make_target(name, cfg):
    return TARGETS[name](name, cfg['work'], cfg)


def rotate(lst, k):
    k %= len(lst)
    return lst[k:] + lst[:k]


# --------------------------------------------------------------------------------------
# fio
# --------------------------------------------------------------------------------------
def run_fio(section, d, size, nj, runtime, cfg):
    env = dict(os.environ, DIR=d, SIZE=str(size), NJ=str(nj), RUNTIME=str(runtime))
    cmd = ['fio', '--section=' + section, '--output-format=json', FIO_JOBS]
    t0 = time.time()
    try:
        r = sh(cmd, check=False, env=env, timeout=runtime + cfg['fio_grace'])
    except subprocess.TimeoutExpired:
        return {'error': 'timeout after %ds' % (runtime + cfg['fio_grace'])}
    wall = time.time() - t0
    if r.returncode != 0:
        return {'error': (r.stderr or r.stdout)[-400:]}
    try:
        j = json.loads(r.stdout[r.stdout.index('{'):])
    except ValueError:
        return {'error': 'unparsable fio output'}
    job = j['jobs'][0]
    kind = 'read' if 'read' in section else 'write'
    s = job[kind]
    return {'MBps': s['bw_bytes'] / 1e6, 'iops': s['iops'], 'io_bytes': s['io_bytes'],
            'runtime_ms': s['runtime'], 'wall_s': wall, 'size': size, 'numjobs': nj}


# The unmeasured warm-up pass: every job kind, as (fio section, numjobs).
WARMUP_JOBS = [('seqwrite', 1), ('seqread', 1), ('randwrite', 1), ('randread', 1),
               ('seqwrite', 4), ('randwrite', 4), ('dedup90', 1)]
# Warm-up passes repeat until no job ran more than this much faster than in the pass before.
WARMUP_GAIN_MAX = 1.15
WARMUP_PASSES_MAX = 3


def fio_warmup(t, cfg):
    """Unmeasured passes of every job kind on every target alike, its files left in place, until
    the target is in its steady state: a fresh dvs mount is a fresh JVM whose JIT compiles for
    tens of seconds, and each kind of job (one writer, four writers, reads, duplicate data) runs
    code paths of its own. Passes repeat until no job ran more than WARMUP_GAIN_MAX times faster
    than in the pass before (at least two passes, at most WARMUP_PASSES_MAX); each pass's MB/s
    are returned, for the JSON. Reads run after the caches are dropped, as measured reads do:
    a read served by the page cache warms nothing behind it.

    Why more than one pass: the multi-process cluster is four JVMs compiling on two cores. On a
    fresh one (2026-12-07), four 1 GiB writes in a row ran 109, 131, 225, 251 MB/s and two reads
    128, 237; one pass left its measured jobs well short of that (bench/run's 1-job write 95-220
    MB/s). Kept files, not deleted: deleting them made the measured writes that follow share the
    machine with the filesystem's space reclaim (dvs: ~200 -> ~100 MB/s), a cost of its own."""
    d = os.path.join(t.dir, 'warmup')
    os.makedirs(d, exist_ok=True)
    rt = cfg['fio_runtime']
    passes = []
    for _ in range(WARMUP_PASSES_MAX):
        speeds = {}
        for sec, nj in WARMUP_JOBS:
            if 'read' in sec:
                t.drop_caches()
            r = run_fio(sec, d, cfg['fio_size1'] if nj == 1 else cfg['fio_size4'], nj, rt, cfg)
            speeds['%s-j%d' % (sec, nj)] = r.get('MBps')
        os.sync()
        log('  %-8s warm-up pass %d: %s' % (t.name, len(passes) + 1, ' '.join(
            '%s %s' % (k, '%.0f' % v if v else '-') for k, v in speeds.items())))
        passes.append(speeds)
        if len(passes) >= 2 and all(
                not now or not before or now <= before * WARMUP_GAIN_MAX
                for now, before in ((speeds[k], passes[-2][k]) for k in speeds)):
            break
    return passes


def delete_and_settle(d, cfg):
    """Deletes a job's files, then lets every target reclaim the space before the next job
    measures writes (the same pause for all). Without it the first writes after a delete share
    the machine with the reclaim: dvs's 4-job write ran ~300 MB/s right after deleting the
    1-job files and ~600 without the delete. The cost of a delete is a measurement of its own
    (bench/RESULTS.md, hand measurements), not the write path's."""
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.sync()
    time.sleep(cfg['fio_settle'])


def fio_suite(t, cfg):
    res = {}
    warmup = fio_warmup(t, cfg) if cfg['fio_warmup'] else []
    d = os.path.join(t.dir, 'fio')
    os.makedirs(d, exist_ok=True)
    rt = cfg['fio_runtime']
    for nj, size in ((1, cfg['fio_size1']), (4, cfg['fio_size4'])):
        r = run_fio('seqwrite', d, size, nj, rt, cfg)
        res['seqwrite-1M-j%d' % nj] = r
        sizes = [os.path.getsize(os.path.join(d, 'f.%d' % i)) for i in range(nj)
                 if os.path.exists(os.path.join(d, 'f.%d' % i))]
        have = min(sizes) // (1 << 20) * (1 << 20) if len(sizes) == nj else 0
        if have < (4 << 20):
            log('%s: seqwrite j%d left %s bytes; skipping reads' % (t.name, nj, sizes))
            continue
        t.drop_caches()
        res['seqread-1M-j%d' % nj] = run_fio('seqread', d, have, nj, rt, cfg)
        res['randwrite-4k-j%d' % nj] = run_fio('randwrite', d, have, nj, rt, cfg)
        t.drop_caches()
        res['randread-4k-j%d' % nj] = run_fio('randread', d, have, nj, rt, cfg)
        delete_and_settle(d, cfg)
    for sec in ('dedup0', 'dedup50', 'dedup90'):
        res['seqwrite-1M-' + sec] = run_fio(sec, d, cfg['fio_size1'], 1, rt, cfg)
        delete_and_settle(d, cfg)
    for k, v in res.items():
        log('  %-8s %-22s %s' % (t.name, k, ('%.1f MB/s %.0f IOPS' % (v['MBps'], v['iops'])) if 'MBps' in v else v))
    return res, warmup


# --------------------------------------------------------------------------------------
# data sets
# --------------------------------------------------------------------------------------
def prepare_datasets(cfg):
    cache = os.path.join(cfg['cache'], cfg['mode'])
    os.makedirs(cache, exist_ok=True)
    src = cfg['kernel_src']
    ds = {}
    kdir = os.path.join(cache, 'kernel')
    if not os.path.isdir(kdir):
        tmp = kdir + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for sub in cfg['kernel_dirs']:
            shutil.copytree(os.path.join(src, sub), os.path.join(tmp, sub), symlinks=True)
        os.rename(tmp, kdir)
    series = os.path.join(cache, 'series')
    if not os.path.isdir(series):
        tmp = series + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        shutil.copytree(kdir, os.path.join(tmp, 'v1'), symlinks=True)
        sh([sys.executable, os.path.join(HERE, 'mkseries.py'), os.path.join(tmp, 'v1'), os.path.join(tmp, 'v2'), '2'])
        sh([sys.executable, os.path.join(HERE, 'mkseries.py'), os.path.join(tmp, 'v2'), os.path.join(tmp, 'v3'), '3'])
        os.rename(tmp, series)
    jdk = os.path.join(cache, 'jdk')
    if not os.path.isdir(jdk):
        tmp = jdk + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for sub in cfg['jdk_dirs']:
            shutil.copytree(os.path.join('/usr/lib/jvm', sub), os.path.join(tmp, sub.replace('/', '_')), symlinks=True)
        os.rename(tmp, jdk)
    ds = {'kernel': kdir, 'kernel-series': series, 'jdk': jdk}
    info = {}
    for name, path in ds.items():
        r = sh([sys.executable, os.path.join(HERE, 'ideal_dedup.py'), path])
        info[name] = json.loads(r.stdout)
        info[name]['path'] = path
        info[name]['du_bytes'] = du_bytes(path)
        log('data set %-14s %s' % (name, info[name]))
    return ds, info


def copy_into(src, dst):
    t0 = time.time()
    # cp -a of the tree's contents; then sync, so that the data left the page cache
    sh(['cp', '-a', src + '/.', dst])
    os.sync()
    return time.time() - t0


def backup_ingest(tool, src, cfg):
    repo = os.path.join(cfg['work'], 'targets', tool)
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(os.path.dirname(repo), exist_ok=True)
    env = dict(os.environ, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK='yes', BORG_RELOCATED_REPO_ACCESS_IS_OK='yes',
               RESTIC_PASSWORD='dvs-bench', BORG_BASE_DIR=os.path.join(cfg['work'], 'borg-base'),
               XDG_CACHE_HOME=os.path.join(cfg['work'], 'cache-home'))
    try:
        if tool == 'borg':
            sh(['borg', 'init', '-e', 'none', repo], env=env)
            t0 = time.time()
            sh('cd %s && borg create --compression none %s::a .' % (sh_quote(src), sh_quote(repo)),
               env=env, timeout=3600)
            wall = time.time() - t0
        else:
            sh(['restic', '-r', repo, 'init', '--repository-version', '2'], env=env)
            t0 = time.time()
            sh('cd %s && restic -q -r %s backup --compression off .' % (sh_quote(src), sh_quote(repo)),
               env=env, timeout=3600)
            wall = time.time() - t0
        os.sync()
        return {'wall_s': wall, 'physical_bytes': du_bytes(repo)}
    finally:
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(os.path.join(cfg['work'], 'cache-home'), ignore_errors=True)
        shutil.rmtree(os.path.join(cfg['work'], 'borg-base'), ignore_errors=True)


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def dedup_round(name, ds, info, cfg):
    out = {}
    for dname, path in ds.items():
        logical = info[dname]['logical_bytes']
        if name in ('borg', 'restic'):
            r = backup_ingest(name, path, cfg)
        else:
            with make_target(name, cfg) as t:
                wall = copy_into(path, t.dir)
                r = {'wall_s': wall}
                ph = t.physical()
                if ph:
                    r.update(ph)
        r['ingest_MBps'] = logical / 1e6 / r['wall_s']
        if r.get('physical_bytes'):
            r['ratio'] = logical / r['physical_bytes']
            r['vs_ideal'] = r['physical_bytes'] / info[dname]['ideal_physical_bytes']
        log('  %-8s %-14s %s' % (name, dname, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}))
        out[dname] = r
    return out


def rsync_round(name, ds, cfg):
    v1 = os.path.join(ds['kernel-series'], 'v1')
    v2 = os.path.join(ds['kernel-series'], 'v2')
    with make_target(name, cfg) as t:
        dst = os.path.join(t.dir, 'linux')
        t0 = time.time()
        sh(['rsync', '-a', '--delete', v1 + '/', dst + '/'], timeout=3600)
        os.sync()
        first = time.time() - t0
        t0 = time.time()
        sh(['rsync', '-a', '--delete', v2 + '/', dst + '/'], timeout=3600)
        os.sync()
        second = time.time() - t0
    r = {'initial_s': first, 'after_1pct_edit_s': second}
    log('  %-8s rsync %s' % (name, r))
    return r


# --------------------------------------------------------------------------------------
# profile (JFR) of the dvs mount while fio writes
# --------------------------------------------------------------------------------------
def profile(cfg):
    """JFR on the dvs-emb mount while fio runs job by job; execution samples are attributed
    to the fio job that ran when they were taken (by their startTime)."""
    jfr = os.path.join(cfg['work'], 'dvs.jfr')
    cfg = dict(cfg, java_opts=cfg['java_opts'] + ['-XX:StartFlightRecording=name=dvsbench,settings=profile'])
    out, phases = {}, []
    rt = cfg['fio_runtime'] * 2
    with make_target('dvs-emb', cfg) as t:
        d = os.path.join(t.dir, 'fio')
        os.makedirs(d)
        for sec, size in (('seqwrite', cfg['fio_size1']), ('randwrite', '32M'), ('seqread', '32M'),
                          ('randread', '32M'), ('dedup90', cfg['fio_size1'])):
            if sec in ('seqread', 'randread'):
                drop_caches()
            t0 = time.time()
            out[sec] = run_fio(sec, d, size, 1, rt, cfg)
            phases.append((sec, t0, time.time()))
            log('  profile %s %s' % (sec, out[sec]))
        if os.path.exists(jfr):
            os.unlink(jfr)
        sh(['jcmd', str(t.mount.pid), 'JFR.dump', 'name=dvsbench', 'filename=' + jfr], timeout=120)
    r = sh(['jfr', 'print', '--stack-depth', '64', '--events', 'jdk.ExecutionSample', jfr], check=False, timeout=600)
    day0 = time.mktime(time.localtime(phases[0][1])[:3] + (0, 0, 0, 0, 0, -1)) if phases else 0

    def phase_of(hms):
        try:
            h, m, sec = hms.split(':')
            ts = day0 + int(h) * 3600 + int(m) * 60 + float(sec)
        except ValueError:
            return 'other'
        for name, a0, a1 in phases:
            if a0 <= ts <= a1:
                return name
        return 'other'
    per = {}  # phase -> {'n':, 'self':{}, 'incl':{}}
    cur, ph = None, 'other'
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith('startTime = '):
            ph = phase_of(line.split('=', 1)[1].strip().split()[0])
        elif line.startswith('stackTrace = ['):
            cur = []
        elif line == ']' and cur is not None:
            if cur:
                P = per.setdefault(ph, {'n': 0, 'self': {}, 'incl': {}})
                P['n'] += 1
                P['self'][cur[0]] = P['self'].get(cur[0], 0) + 1
                for fr in set(cur):
                    P['incl'][fr] = P['incl'].get(fr, 0) + 1
            cur = None
        elif cur is not None and '(' in line:
            cur.append(re.sub(r'\s+line:.*$', '', line))
    summ = sh(['jfr', 'summary', jfr], check=False, timeout=300).stdout
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r'^\s*(jdk\.\w+)\s+(\d+)\s+\d+', summ, re.M)}
    cpu = sh(['jfr', 'print', '--events', 'jdk.CPULoad', jfr], check=False, timeout=300).stdout
    loads = {}
    for k in ('jvmUser', 'jvmSystem', 'machineTotal'):
        xs = [float(x) for x in re.findall(k + r' = ([\d.]+)%', cpu)]
        loads[k + '_pct_avg'] = sum(xs) / len(xs) if xs else None
    top = {}
    frames = {}
    for P in per.values():
        for k, v in P['self'].items():
            top[k] = top.get(k, 0) + v
        for k, v in P['incl'].items():
            frames[k] = frames.get(k, 0) + v
    res = {'fio': out, 'samples': sum(P['n'] for P in per.values()), 'event_counts': counts, 'cpu_load': loads,
           'phases': {name: {'seconds': a1 - a0, 'samples': per.get(name, {}).get('n', 0),
                             'top_dvs_inclusive': sorted([(f, n) for f, n in per.get(name, {}).get('incl', {}).items()
                                                          if f.startswith('io.dvs')], key=lambda kv: -kv[1])[:12],
                             'top_self': sorted(per.get(name, {}).get('self', {}).items(), key=lambda kv: -kv[1])[:10]}
                      for name, a0, a1 in phases},
           'top_dvs_inclusive': sorted([(f, n) for f, n in frames.items() if f.startswith('io.dvs')],
                                       key=lambda kv: -kv[1])[:25],
           'top_self': sorted(top.items(), key=lambda kv: -kv[1])[:30],
           'top_inclusive': sorted(frames.items(), key=lambda kv: -kv[1])[:40],
           'jfr_file': jfr}
    return res


# --------------------------------------------------------------------------------------
def machine_info(cfg):
    def first(cmd):
        r = sh(cmd, check=False)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else ''
    mem = open('/proc/meminfo').read().split('\n')[0]
    cpu = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')]
    disk_dev = first(['df', '--output=source', cfg['work']]).strip()
    disk = sh('df -h --output=source,fstype,size,avail %s | tail -1' % sh_quote(cfg['work']), check=False).stdout.strip()
    dev = os.path.basename(sh(['df', '--output=source', cfg['work']], check=False).stdout.split()[-1])
    rota = ''
    try:
        rota = open('/sys/block/%s/queue/rotational' % dev).read().strip()
    except OSError:
        pass
    jar = cfg['jar_src']
    st = os.stat(jar)
    return {
        'cores': os.cpu_count(), 'cpu': cpu[0] if cpu else '', 'mem': mem,
        'disk': disk, 'disk_rotational_flag': rota, 'kernel': os.uname().release,
        'os': first(['sh', '-c', '. /etc/os-release; echo $PRETTY_NAME']),
        'loadavg_start': open('/proc/loadavg').read().strip(),
        'versions': {
            'fio': first(['fio', '--version']), 'bindfs': first(['bindfs', '--version']),
            'zfs-fuse': sh("dpkg-query -W -f='${Version}' zfs-fuse", check=False).stdout,
            'borg': first(['borg', '--version']), 'restic': first(['restic', 'version']),
            'rsync': first(['rsync', '--version']), 'java': first(['java', '-version']),
            'fuse': sh("dpkg-query -W -f='${Version}' fuse3", check=False).stdout,
            'linux-source': sh("dpkg-query -W -f='${Version}' linux-source", check=False).stdout,
        },
        'dvs': {
            'git_head': sh(['git', '-C', REPO, 'rev-parse', 'HEAD'], check=False).stdout.strip(),
            'git_dirty_files': len([l for l in sh(['git', '-C', REPO, 'status', '--porcelain'], check=False)
                                    .stdout.splitlines() if l.strip()]),
            'jar': jar, 'jar_mtime': time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(st.st_mtime)),
            'jar_sha256': hashlib.sha256(open(cfg['jar'], 'rb').read()).hexdigest(),
        },
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--only', default='fio,dedup,rsync', help='comma list of fio,dedup,rsync,profile')
    ap.add_argument('--targets', default=None, help='comma list, default all')
    ap.add_argument('--reps', type=int)
    ap.add_argument('--dreps', type=int)
    ap.add_argument('--work', default=os.environ.get('BENCH_DIR', '/var/tmp/dvs-bench'))
    ap.add_argument('--jar', default=os.path.join(REPO, 'tools', 'target', 'dvs.jar'))
    ap.add_argument('--out', default=None)
    ap.add_argument('--command', default='')
    a = ap.parse_args()
    mode = 'quick' if a.quick else 'full'
    cfg = dict(MODES[mode])
    cfg['mode'] = mode
    for k in ('reps', 'dreps'):
        if getattr(a, k):
            cfg[k] = getattr(a, k)
    for k in ('fio_size1', 'fio_size4', 'fio_runtime'):
        v = os.environ.get('BENCH_' + k.upper())
        if v:
            cfg[k] = int(v) if k == 'fio_runtime' else v
    cfg['fio_grace'] = int(os.environ.get('BENCH_FIO_GRACE', '240'))
    # BENCH_FIO_WARMUP=0 measures cold (a mount's first seconds, JIT still compiling).
    cfg['fio_warmup'] = os.environ.get('BENCH_FIO_WARMUP', '1') != '0'
    # Seconds between deleting a job's files and the next job (see delete_and_settle).
    cfg['fio_settle'] = float(os.environ.get('BENCH_FIO_SETTLE', '5'))
    cfg['work'] = a.work
    cfg['cache'] = os.path.join(a.work, 'cache')
    cfg['zfs_pool_size'] = os.environ.get('BENCH_ZFS_POOL', '20G')
    cfg['kernel_src'] = os.environ.get('BENCH_KERNEL_SRC', os.path.join(cfg['cache'], 'linux-source-6.1'))
    cfg['java_opts'] = os.environ.get('DVS_JAVA_OPTS', '').split()
    os.makedirs(os.path.join(a.work, 'logs'), exist_ok=True)
    # Measure one fixed jar: others may rebuild tools/target/dvs.jar while we run.
    cfg['jar_src'] = a.jar
    cfg['jar'] = os.path.join(a.work, 'dvs.jar')
    if os.path.abspath(a.jar) != os.path.abspath(cfg['jar']):
        shutil.copy2(a.jar, cfg['jar'])
    only = a.only.split(',')

    atexit.register(cleanup_all)
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *x: sys.exit(130))

    stamp = time.strftime('%Y%m%d-%H%M%S')
    out = a.out or os.path.join(BENCH, 'results', '%s-%s.json' % (stamp, mode))
    res = {'mode': mode, 'started': time.strftime('%Y-%m-%d %H:%M:%S %Z'), 'command': a.command,
           'config': {k: v for k, v in cfg.items() if k not in ('java_opts',)},
           'machine': machine_info(cfg), 'fio': {}, 'fio_warmup': {}, 'dedup': {}, 'rsync': {}, 'errors': []}

    def save():
        res['finished'] = time.strftime('%Y-%m-%d %H:%M:%S %Z')
        res['loadavg_end'] = open('/proc/loadavg').read().strip()
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out + '.tmp', 'w') as f:
            json.dump(res, f, indent=1)
        os.replace(out + '.tmp', out)

    t_start = time.time()
    sel = lambda lst: [t for t in lst if not a.targets or t in a.targets.split(',')]
    if 'fio' in only:
        for rep in range(cfg['reps']):
            for name in rotate(sel(FIO_TARGETS), rep):
                log('fio rep %d/%d on %s' % (rep + 1, cfg['reps'], name))
                try:
                    with make_target(name, cfg) as t:
                        r, warmup = fio_suite(t, cfg)
                    res['fio_warmup'].setdefault(name, []).append(warmup)
                except Exception as e:  # record and go on with the other targets
                    log('ERROR %s: %s' % (name, e))
                    res['errors'].append({'phase': 'fio', 'target': name, 'rep': rep, 'error': str(e)[-800:]})
                    r = {}
                for job, v in r.items():
                    res['fio'].setdefault(job, {}).setdefault(name, []).append(v)
                save()
    if 'dedup' in only or 'rsync' in only:
        ds, info = prepare_datasets(cfg)
        res['datasets'] = info
        save()
    if 'dedup' in only:
        for rep in range(cfg['dreps']):
            for name in rotate(sel(DEDUP_TARGETS), rep):
                log('dedup rep %d/%d on %s' % (rep + 1, cfg['dreps'], name))
                try:
                    r = dedup_round(name, ds, info, cfg)
                except Exception as e:
                    log('ERROR %s: %s' % (name, e))
                    res['errors'].append({'phase': 'dedup', 'target': name, 'rep': rep, 'error': str(e)[-800:]})
                    r = {}
                for d, v in r.items():
                    res['dedup'].setdefault(d, {}).setdefault(name, []).append(v)
                save()
    if 'rsync' in only:
        for rep in range(cfg['dreps']):
            for name in rotate(sel(RSYNC_TARGETS), rep):
                log('rsync rep %d/%d on %s' % (rep + 1, cfg['dreps'], name))
                try:
                    r = rsync_round(name, ds, cfg)
                    res['rsync'].setdefault(name, []).append(r)
                except Exception as e:
                    log('ERROR %s: %s' % (name, e))
                    res['errors'].append({'phase': 'rsync', 'target': name, 'rep': rep, 'error': str(e)[-800:]})
                save()
    if 'profile' in only:
        log('profile: JFR on dvs-emb')
        res['profile'] = profile(cfg)
        save()
    res['elapsed_s'] = time.time() - t_start
    save()
    log('raw results: %s' % out)
    print(out)


if __name__ == '__main__':
    main()

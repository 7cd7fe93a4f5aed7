"""Molecular dynamics of alanine dipeptide: a shipped trajectory and its simulator.

Alanine dipeptide (Ace-Ala-Nme, 22 atoms) is the classic test molecule of the molecular
dynamics literature: its conformations are described to a good approximation by two
backbone dihedral angles, ``phi`` and ``psi``, whose joint distribution (the Ramachandran
map) has a few metastable basins. The package ships one simulated trajectory, so that
:func:`load_alanine_dipeptide` works without OpenMM; :func:`simulate_alanine_dipeptide`
reproduces it, or runs new ones, and needs the ``md`` extra.
"""

import importlib.util
import numbers
import os
import time
from importlib import resources
from pathlib import Path

import numpy as np

from ._rng import check_random_state

_SHIPPED_FILE = "alanine_dipeptide.npz"
_SHIPPED_SEED = 0
_SHIPPED_FRAMES = 20000
# Version of the trajectory file layout; part of the names of the user's cached runs.
_FORMAT = 1
# The shipped coordinates are stored as integers in these units (nm): 1e-4 nm = 0.001 Angstrom,
# far below the thermal fluctuations of the atoms (about 0.05 Angstrom and more).
_COORDINATE_UNIT = 1e-4

_INSTALL_HINT = (
    "Simulating alanine dipeptide needs OpenMM and the topology files of openmmtools: "
    "pip install sklearn_strata[md] (or: pip install openmm && pip install --no-deps "
    "openmmtools; openmmtools is only needed for its data files, and installing it with "
    "--no-deps avoids its heavy dependencies)."
)

# (residue, atom) of the four atoms of each backbone dihedral angle.
_PHI = (("ACE", "C"), ("ALA", "N"), ("ALA", "CA"), ("ALA", "C"))
_PSI = (("ALA", "N"), ("ALA", "CA"), ("ALA", "C"), ("NME", "N"))
_FEATURES = ("dihedrals", "angles", "coordinates")


def _check_n_frames(n_frames, name="n_frames"):
    if not isinstance(n_frames, numbers.Integral) or isinstance(n_frames, bool) or n_frames < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n_frames!r}.")
    return int(n_frames)


def _check_positive(value, name, *, allow_zero=False):
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    return float(value)


def _import_openmm():
    """Import OpenMM, or raise ImportError with the installation hint."""
    try:
        import openmm
        from openmm import app, unit
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return openmm, app, unit


def _topology_files():
    """Paths of the AMBER ff96 prmtop and crd files of alanine dipeptide in openmmtools.

    The package is located without being imported: importing openmmtools pulls in
    dependencies that a ``--no-deps`` installation does not have, and only its data
    files are needed.
    """
    spec = importlib.util.find_spec("openmmtools")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(_INSTALL_HINT)
    folder = Path(list(spec.submodule_search_locations)[0], "data", "alanine-dipeptide-gbsa")
    prmtop = folder / "alanine-dipeptide.prmtop"
    crd = folder / "alanine-dipeptide.crd"
    if not (prmtop.is_file() and crd.is_file()):
        raise ImportError(
            f"The alanine dipeptide files were not found in {folder}; the installed "
            f"openmmtools may be too old or incomplete. {_INSTALL_HINT}"
        )
    return prmtop, crd


def _dihedrals(positions, indices):
    """Dihedral angles in ``[-pi, pi]`` (IUPAC sign) of atoms ``indices`` of every frame."""
    p0, p1, p2, p3 = (positions[:, i] for i in indices)
    b0, b1, b2 = p1 - p0, p2 - p1, p3 - p2
    n1 = np.cross(b0, b1)
    n2 = np.cross(b1, b2)
    y = np.linalg.norm(b1, axis=-1) * np.einsum("ij,ij->i", b0, n2)
    x = np.einsum("ij,ij->i", n1, n2)
    return np.arctan2(y, x)


def _align(coordinates):
    """Superpose every frame of ``(n_frames, n_atoms, 3)`` on the first (Kabsch, no mirror)."""
    centered = coordinates - coordinates.mean(axis=1, keepdims=True)
    reference = centered[0]
    covariance = np.einsum("fai,aj->fij", centered, reference)
    u, _, vt = np.linalg.svd(covariance)
    # Proper rotations only: a reflection would turn the L-alanine into its mirror image.
    sign = np.sign(np.linalg.det(u @ vt))
    u[:, :, -1] *= sign[:, None]
    rotations = u @ vt
    return np.einsum("fai,fij->faj", centered, rotations)


def simulate_alanine_dipeptide(
    n_frames=20000,
    *,
    temperature=300.0,
    time_step=2.0,
    frame_interval=1.0,
    friction=1.0,
    equilibration=100.0,
    platform="Reference",
    random_state=0,
):
    """Simulate alanine dipeptide in vacuum with OpenMM and return its trajectory.

    The molecule is built from the AMBER ff96 topology shipped with openmmtools (the system
    of ``openmmtools.testsystems.AlanineDipeptideVacuum``: no cutoff, bonds to hydrogen
    constrained), its energy is minimised, velocities are drawn at ``temperature``, and a
    Langevin integrator (``LangevinMiddleIntegrator``) runs ``equilibration`` picoseconds
    before a frame is saved every ``frame_interval`` picoseconds.

    The trajectory shipped with the package (used by :func:`load_alanine_dipeptide`) is
    ``simulate_alanine_dipeptide(20000, random_state=0)`` with the defaults above: 20 ns
    of vacuum dynamics at 300 K, 2 fs steps (10 million steps plus 50,000 of
    equilibration), friction 1/ps, one frame per picosecond, on OpenMM 8.6.1's
    single-threaded Reference platform; it took 135 seconds (119 s of CPU time on one
    core). It is stored compressed (1.2 MB) with float32 angles and the coordinates
    rounded to 0.0001 nm; rerunning the call above reproduces it to that precision. In
    that run, with angles in degrees and ``psi > 30`` or ``psi < -120``, 56.8% of the
    frames are in the C5 basin (``phi < -110``, or ``phi > 120`` across the periodic
    boundary) and 42.9% in the C7eq basin (``-110 <= phi < 0``); the remaining 0.2% (43
    frames) visit the alpha_R region briefly, and C7ax (``phi > 0``) is never reached.

    Requires the ``md`` extra: ``pip install sklearn_strata[md]``. openmmtools is only
    needed for its data files and is best installed with ``pip install --no-deps
    openmmtools``; its Python modules are never imported.

    Parameters
    ----------
    n_frames : int, default=20000
        Number of frames to save, >= 1.
    temperature : float, default=300.0
        Temperature of the heat bath, in kelvin.
    time_step : float, default=2.0
        Integration time step, in femtoseconds.
    frame_interval : float, default=1.0
        Time between saved frames, in picoseconds; rounded to a whole number of steps.
    friction : float, default=1.0
        Friction coefficient of the Langevin integrator, in 1/ps.
    equilibration : float, default=100.0
        Simulated time discarded before the first frame, in picoseconds, >= 0.
    platform : str, default="Reference"
        OpenMM platform. ``"Reference"`` is single-threaded and the fastest for this
        22-atom molecule; ``"CPU"`` runs on one thread here. Trajectories from different
        platforms or OpenMM versions differ.
    random_state : int, RandomState instance or None, default=0
        Seeds the initial velocities and the Langevin noise. None draws fresh entropy; a
        fixed seed gives the same trajectory on the same platform and OpenMM version.

    Returns
    -------
    trajectory : dict
        With keys

        - ``"angles"``: ndarray of shape (n_frames, 2), the backbone dihedral angles
          ``phi`` and ``psi`` in radians, in ``[-pi, pi]``;
        - ``"coordinates"``: ndarray of shape (n_frames, 10, 3), the positions of the ten
          heavy atoms in nanometres, centered and superposed on the first frame;
        - ``"times"``: ndarray of shape (n_frames,), the time of every frame after the
          equilibration, in picoseconds;
        - ``"atom_names"``: ndarray of shape (10,), the heavy atoms as ``"RES:NAME"``;
        - ``"seconds"``: float, the wall-clock time of the simulation.

    Raises
    ------
    ImportError
        If OpenMM or the openmmtools data files are not installed.

    See Also
    --------
    load_alanine_dipeptide : The shipped trajectory as a feature matrix.

    Examples
    --------
    >>> from sklearn_strata.datasets import simulate_alanine_dipeptide
    >>> run = simulate_alanine_dipeptide(10, equilibration=1.0)  # doctest: +SKIP
    >>> run["angles"].shape, run["coordinates"].shape  # doctest: +SKIP
    ((10, 2), (10, 10, 3))
    """
    n_frames = _check_n_frames(n_frames)
    temperature = _check_positive(temperature, "temperature")
    time_step = _check_positive(time_step, "time_step")
    frame_interval = _check_positive(frame_interval, "frame_interval")
    friction = _check_positive(friction, "friction")
    equilibration = _check_positive(equilibration, "equilibration", allow_zero=True)
    rng = check_random_state(random_state)
    openmm, app, unit = _import_openmm()
    prmtop_file, crd_file = _topology_files()

    steps_per_frame = max(1, round(frame_interval * 1000.0 / time_step))
    equilibration_steps = round(equilibration * 1000.0 / time_step)
    # OpenMM treats a seed of 0 as "pick one at random": draw seeds from [1, 2**31 - 1).
    integrator_seed, velocity_seed = (int(s) for s in rng.randint(1, 2**31 - 1, size=2))

    prmtop = app.AmberPrmtopFile(str(prmtop_file))
    positions = app.AmberInpcrdFile(str(crd_file)).getPositions()
    system = prmtop.createSystem(
        implicitSolvent=None, nonbondedMethod=app.NoCutoff, constraints=app.HBonds
    )
    integrator = openmm.LangevinMiddleIntegrator(
        temperature * unit.kelvin, friction / unit.picosecond, time_step * unit.femtosecond
    )
    integrator.setRandomNumberSeed(integrator_seed)
    properties = {"Threads": "1"} if platform == "CPU" else {}
    context = openmm.Context(
        system, integrator, openmm.Platform.getPlatformByName(platform), properties
    )

    atoms = list(prmtop.topology.atoms())
    index = {(atom.residue.name, atom.name): atom.index for atom in atoms}
    heavy = [atom.index for atom in atoms if atom.element.symbol != "H"]
    phi = [index[key] for key in _PHI]
    psi = [index[key] for key in _PSI]

    start = time.perf_counter()
    context.setPositions(positions)
    openmm.LocalEnergyMinimizer.minimize(context)
    context.setVelocitiesToTemperature(temperature * unit.kelvin, velocity_seed)
    if equilibration_steps:
        integrator.step(equilibration_steps)
    frames = np.empty((n_frames, len(atoms), 3))
    for frame in range(n_frames):
        integrator.step(steps_per_frame)
        state = context.getState(getPositions=True)
        frames[frame] = state.getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    seconds = time.perf_counter() - start
    del context, integrator

    angles = np.stack([_dihedrals(frames, phi), _dihedrals(frames, psi)], axis=1)
    return {
        "angles": angles,
        "coordinates": _align(frames[:, heavy]),
        "times": np.arange(1, n_frames + 1) * steps_per_frame * time_step / 1000.0,
        "atom_names": np.array([f"{atoms[i].residue.name}:{atoms[i].name}" for i in heavy]),
        "seconds": seconds,
    }


def _save_run(path, run, seed):
    """Write a trajectory compactly: float32 angles, int16 coordinates (0.001 Angstrom)."""
    coordinates = np.round(run["coordinates"].reshape(len(run["times"]), -1) / _COORDINATE_UNIT)
    if np.abs(coordinates).max() >= np.iinfo(np.int16).max:
        raise ValueError("Coordinates out of the range of the compact trajectory format.")
    np.savez_compressed(
        path,
        format=np.int64(_FORMAT),
        angles=run["angles"].astype(np.float32),
        coordinates=coordinates.astype(np.int16),
        coordinate_unit=np.float64(_COORDINATE_UNIT),
        times=run["times"].astype(np.float32),
        atom_names=run["atom_names"],
        seed=np.int64(seed),
        seconds=np.float64(run["seconds"]),
    )


def _read_run(source):
    """Angles, coordinates (n_frames, 30) and times of a trajectory file, as float64."""
    with np.load(source, allow_pickle=False) as data:
        # float32 rounds pi up: clip so that the angles stay in [-pi, pi].
        angles = np.clip(data["angles"].astype(np.float64), -np.pi, np.pi)
        coordinates = data["coordinates"].astype(np.float64) * float(data["coordinate_unit"])
        times = data["times"].astype(np.float64)
    return angles, coordinates, times


def _shipped_run():
    source = resources.files("sklearn_strata.datasets").joinpath("data", _SHIPPED_FILE)
    if not source.is_file():
        return None
    with source.open("rb") as handle:
        return _read_run(handle)


def _integer_seed(random_state):
    """The seed if ``random_state`` is an integer (which identifies a run), else None."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return None


def _cache_path(data_home, seed):
    from sklearn.datasets import get_data_home

    folder = Path(get_data_home(data_home)) / "sklearn_strata"
    return folder / f"alanine_dipeptide_v{_FORMAT}_seed{seed}.npz"


def _stored_run(n_frames, random_state, *, cache, data_home):
    """The run of this seed from the shipped file or the user's cache, if it is long enough."""
    seed = _integer_seed(random_state)
    if seed is None:
        return None
    if seed == _SHIPPED_SEED:
        run = _shipped_run()
        if run is not None and run[0].shape[0] >= n_frames:
            return run
    if cache:
        path = _cache_path(data_home, seed)
        if path.is_file():
            run = _read_run(path)
            if run[0].shape[0] >= n_frames:
                return run
    return None


def _new_run(n_frames, random_state, *, cache, data_home):
    """Simulate; store the run in the user's cache when ``cache`` and the seed allow."""
    run = simulate_alanine_dipeptide(n_frames, random_state=random_state)
    seed = _integer_seed(random_state)
    if not cache or seed is None:
        return run["angles"], run["coordinates"].reshape(n_frames, -1), run["times"]
    path = _cache_path(data_home, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so that an interrupted write never leaves a broken file behind.
    partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    _save_run(partial, run, seed)
    os.replace(partial, path)
    # Read back, so that this call and later ones return the same (stored) values.
    return _read_run(path)


def load_alanine_dipeptide(
    n_frames=None,
    *,
    features="dihedrals",
    cache=True,
    simulate=False,
    data_home=None,
    random_state=0,
    return_times=False,
):
    """Load a molecular dynamics trajectory of alanine dipeptide.

    Alanine dipeptide (Ace-Ala-Nme) in vacuum at 300 K, one frame per picosecond (see
    :func:`simulate_alanine_dipeptide` for the force field, integrator and how the shipped
    trajectory was made). Its conformations are described by the backbone dihedral angles
    ``phi`` and ``psi``; at 300 K in vacuum they stay in two metastable basins of the
    Ramachandran map, C7eq around ``(-80, 70)`` degrees and C5 around ``(-150, 160)``, with
    frequent transitions between them; alpha_R is visited only briefly and C7ax (``phi >
    0``) not at all in the shipped 20 ns.

    The package ships 20,000 frames (20 ns) simulated with ``random_state=0``; they are
    used, without OpenMM, whenever they cover the request. Anything else (more frames,
    another seed, ``simulate=True``) runs OpenMM, which needs the ``md`` extra:
    ``pip install sklearn_strata[md]`` (or ``pip install openmm`` and
    ``pip install --no-deps openmmtools``). A new run of 20,000 frames takes a few
    minutes of one CPU core.

    Parameters
    ----------
    n_frames : int, default=None
        Number of frames, the first ones of the trajectory (consecutive frames are one
        picosecond apart and correlated; subsample with a stride for nearly independent
        conformations). None means the 20,000 frames of the shipped trajectory.
    features : {"dihedrals", "angles", "coordinates"}, default="dihedrals"
        What describes a frame:

        - ``"dihedrals"``: 4 columns ``cos(phi), sin(phi), cos(psi), sin(psi)``, the two
          angles as points of a torus embedded in ``R^4``;
        - ``"angles"``: 2 columns ``phi, psi`` in radians, in ``[-pi, pi]``;
        - ``"coordinates"``: 30 columns, the ``x, y, z`` positions (nm) of the ten heavy
          atoms (ACE CH3, C, O; ALA N, CA, CB, C, O; NME N, CH3) after centering and
          superposing every frame on the first one. The shipped file stores them to
          0.0001 nm.
    cache : bool, default=True
        Whether simulated trajectories are stored in, and read back from, ``data_home``
        (runs are stored per integer seed; a stored run is reused for any ``n_frames`` up
        to its length). The shipped trajectory is used either way unless ``simulate=True``.
    simulate : bool, default=False
        If True, always run a new simulation (needs OpenMM), ignoring the shipped and
        stored trajectories.
    data_home : str or path-like, default=None
        Folder of the cached runs (a ``sklearn_strata`` subfolder is used); None means
        scikit-learn's data home, ``~/scikit_learn_data`` unless the ``SCIKIT_LEARN_DATA``
        environment variable says otherwise.
    random_state : int, RandomState instance or None, default=0
        Seed of the simulation. The shipped trajectory is the run with seed 0; any other
        value (None and ``RandomState`` instances included) needs a simulation, since
        only an integer seed identifies a stored run.
    return_times : bool, default=False
        If True, also return the time of every frame.

    Returns
    -------
    X : ndarray of shape (n_frames, n_features)
        The frames: ``n_features`` is 4, 2 or 30 depending on ``features``.
    times : ndarray of shape (n_frames,)
        Time of every frame in picoseconds after the equilibration; only returned if
        ``return_times`` is True.

    Raises
    ------
    ImportError
        If a simulation is needed and OpenMM (or openmmtools' data files) is missing.

    See Also
    --------
    simulate_alanine_dipeptide : Run a new trajectory with OpenMM.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.datasets import load_alanine_dipeptide
    >>> X = load_alanine_dipeptide(1000)
    >>> X.shape
    (1000, 4)
    >>> angles, times = load_alanine_dipeptide(1000, features="angles", return_times=True)
    >>> bool(np.all(np.abs(angles) <= np.pi)), times[:3]
    (True, array([1., 2., 3.]))
    >>> load_alanine_dipeptide(1000, features="coordinates").shape
    (1000, 30)
    """
    if features not in _FEATURES:
        raise ValueError(f"features must be one of {_FEATURES}, got {features!r}.")
    requested = None if n_frames is None else _check_n_frames(n_frames)
    size = _SHIPPED_FRAMES if requested is None else requested
    run = None
    if not simulate:
        run = _stored_run(size, random_state, cache=cache, data_home=data_home)
    if run is None:
        run = _new_run(size, random_state, cache=cache, data_home=data_home)
    angles, coordinates, times = run
    if features == "dihedrals":
        phi, psi = angles[:size, 0], angles[:size, 1]
        X = np.stack([np.cos(phi), np.sin(phi), np.cos(psi), np.sin(psi)], axis=1)
    elif features == "angles":
        X = angles[:size].copy()
    else:
        X = coordinates[:size].copy()
    if return_times:
        return X, times[:size].copy()
    return X

"""Packaging for sklearn-ser (import name ``sklearn_ser``)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
version = {}
exec((HERE / "sklearn_ser" / "_version.py").read_text(), version)

setup(
    name="sklearn-ser",
    version=version["__version__"],
    description="Speech emotion recognition as scikit-learn estimators",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["sklearn_ser", "sklearn_ser.*"]),
    python_requires=">=3.10",
    install_requires=[
        # The README's install command pins the CPU build (torch==2.13.0) in the
        # same pip call, so the resolver never reaches for a CUDA wheel.
        "torch>=2.1",
        "skorch>=1.0",
        "scikit-learn>=1.6",
        "numpy>=1.24",
        "scipy>=1.10",
        "pandas>=2.0",
        "librosa>=0.10",
        "soundfile>=0.12",
        "soxr>=0.3",
        "joblib>=1.6",  # 1.6: Memory writes func_code.py atomically, so workers filling one cache never wipe it
        "matplotlib>=3.7",
        "tqdm>=4.60",
    ],
    extras_require={
        "opensmile": ["opensmile>=2.6"],  # 2.6: the INTERSPEECH sets (IS10 for Wieser et al.'s FTR)
        "dask": ["dask[distributed]>=2023.1"],
        # the tests cover the openSMILE and Dask paths too
        "test": ["pytest>=7", "opensmile>=2.6", "dask[distributed]>=2023.1"],
    },
    entry_points={"console_scripts": ["sklearn-ser=sklearn_ser.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Multimedia :: Sound/Audio :: Speech",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)

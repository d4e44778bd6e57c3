import pytest

from driftline import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.ConfigError, ValueError),
        (errors.InputError, ValueError),
        (errors.SchemaError, ValueError),
        (errors.UntrustedArtifactError, ValueError),
        (errors.NotFoundError, LookupError),
        (errors.StorageError, OSError),
        (errors.MissingDependencyError, ImportError),
    ],
)
def test_errors_inherit_the_matching_builtin(cls: type, builtin: type) -> None:
    assert issubclass(cls, errors.DriftlineError)
    assert issubclass(cls, builtin)


def test_every_exported_error_is_in_the_tree() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.DriftlineError)


def test_require_names_the_extra() -> None:
    with pytest.raises(errors.MissingDependencyError, match=r"pip install 'driftline\[deep\]'"):
        errors.require("surely_not_a_module_xyz", "deep")

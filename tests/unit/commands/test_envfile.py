from dockyard.commands.envfile import env_file, optionize


def test_env_file_escapes_like_kamal() -> None:
    assert env_file({"A": "plain", "B": 'quo"te #x', "C": "two\nlines\\", "D": "tab\there"}) == (
        'A=plain\nB=quo"te #x\nC=two\\nlines\\\\\nD=tab\\there\n'
    )
    assert env_file({"E": "\x01é"}) == "E=\\x01é\n"
    assert env_file({}) == ""


def test_optionize() -> None:
    assert optionize({"memory": "2g", "init": True, "cap-add": ["NET_ADMIN", "SYS_TIME"]}) == [
        "--memory", "2g", "--init", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_TIME",
    ]  # fmt: skip
    assert optionize({"privileged": False, "cpus": 2}) == ["--cpus", "2"]

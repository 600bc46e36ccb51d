"""Assertions shared by the API tests."""


def api_error(response, status: int, code: str) -> dict:
    """Assert the CONTRACT.md error object: exactly {"error": {code, message, fields}}; return the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error

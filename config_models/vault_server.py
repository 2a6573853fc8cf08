"""The config model of the OpenBao/Vault server VSO authenticates to (`vault`)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from config_models.base import ConfigModel


class VaultServerSpec(ConfigModel):
    address: str = Field(description="URL VSO uses to reach OpenBao/Vault, e.g. http://openbao.openbao.svc:8200. Required.")
    kubernetes_auth_mount: str = Field("kubernetes", description="Mount of the Kubernetes auth method. Default: kubernetes.")
    token_ttl_seconds: int = Field(3600, ge=60, description="TTL of tokens VSO gets. Default: 3600.")
    skip_tls_verify: bool = Field(False, description="Opt-out of TLS verification. Refused in prod. Default: false.")
    ca_cert_file: Optional[str] = Field(
        None, description="PEM file in this repository with the CA that signed the server's certificate (public "
                          "data); each VaultConnection trusts it through a Secret. Required in prod. Default: the "
                          "system trust store.")

    @field_validator("ca_cert_file")
    @classmethod
    def _ca_cert_file(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise ValueError(f"{value!r} must be a path inside the repository, relative to the project root")
        return value

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        return value.rstrip("/")

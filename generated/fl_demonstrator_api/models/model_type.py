from enum import StrEnum


class ModelType(StrEnum):
    GLOBAL = "GLOBAL"
    MEAN = "MEAN"
    SWAG = "SWAG"

    def __str__(self) -> str:
        return str(self.value)

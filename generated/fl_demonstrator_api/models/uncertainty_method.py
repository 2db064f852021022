from enum import StrEnum


class UncertaintyMethod(StrEnum):
    ENSEMBLE = "ENSEMBLE"
    MC_DROPOUT = "MC_DROPOUT"
    NONE = "NONE"
    SWAG = "SWAG"

    def __str__(self) -> str:
        return str(self.value)

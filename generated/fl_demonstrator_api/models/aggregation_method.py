from enum import StrEnum


class AggregationMethod(StrEnum):
    FEDAVG = "FedAvg"
    FEDDC = "FedDC"
    FEDPROX = "FedProx"

    def __str__(self) -> str:
        return str(self.value)

"""Two MOABB FakeDatasets of different classes, electrodes and rates, for cross-dataset
pooling."""

from moabb.datasets.fake import FakeDataset


class FakeTrain(FakeDataset):
    """A second FakeDataset class: the two datasets must have different names."""


class FakeTest(FakeDataset):
    pass


def fake_pair(test_events=("right_hand", "left_hand", "tongue"), test_channels=None):
    train = FakeTrain(
        channels=("Fp1", "C3", "Cz", "C4", "FCz"),
        event_list=("left_hand", "right_hand", "feet"),
        n_subjects=3,
        n_sessions=1,
        n_runs=2,
        n_events=20,
        duration=60,
        sfreq=160,
        seed=1,
    )
    test = FakeTest(
        channels=test_channels or ("FCz", "C4", "Pz", "Cz", "C3"),
        event_list=test_events,
        n_subjects=2,
        n_sessions=2,
        n_runs=1,
        n_events=20,
        duration=60,
        seed=2,
    )
    return train, test

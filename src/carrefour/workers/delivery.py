"""The delivery worker: pushes due mailbox rows, forever or once."""

from __future__ import annotations

import os
import socket
import threading

import structlog

from carrefour.bootstrap import Hub
from carrefour.services.batches import Lease, new_lease, process_received
from carrefour.services.delivery import DeliveryRound, PushSender, RetryPolicy, deliver_due
from carrefour.services.operations import beat
from carrefour.services.unit_of_work import Batch

log = structlog.get_logger("carrefour.worker")
#: How the delivery worker of this process signs its heartbeat.
WORKER_NAME = f"delivery@{socket.gethostname()}:{os.getpid()}"


class BatchWorker:
    """Processes the batch files stored for the background, one at a time, oldest first, and
    resumes those a dead worker left unfinished once their lease expired. Each worker has its
    own lease owner id; on PostgreSQL workers of several nodes share the queue."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.lease: Lease = new_lease(hub.settings.batch_lease_seconds)

    def run_once(self) -> Batch | None:
        return process_received(
            self.hub.uow,
            parser=self.hub.batch_parser,
            renderer=self.hub.renderer,
            chunk=self.hub.settings.batch_chunk,
            lease=self.lease,
        )

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                batch = self.run_once()
            except Exception:  # a worker must outlive a bad batch; the error is logged
                log.exception("batch processing failed")
                batch = None
            if batch is not None:
                log.info("batch processed", batch=batch.id, status=batch.status,
                         accepted=batch.accepted, rejected=batch.rejected)  # fmt: skip
            else:
                stop.wait(self.hub.settings.worker_poll_seconds)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="batches", daemon=True)
        thread.start()
        return thread, stop


class DeliveryWorker:
    def __init__(self, hub: Hub, sender: PushSender, *, batch: int = 100) -> None:
        self.hub = hub
        self.sender = sender
        self.batch = batch
        settings = hub.settings
        self.policy = RetryPolicy(
            max_attempts=settings.push_max_attempts,
            base_seconds=settings.push_base_delay_seconds,
            max_seconds=settings.push_max_delay_seconds,
        )

    def run_once(self) -> DeliveryRound:
        """One round: every due row up to the batch size; then the worker's heartbeat."""
        result = deliver_due(self.hub.uow, sender=self.sender, policy=self.policy, limit=self.batch)
        with self.hub.uow() as uow:
            beat(uow, worker=WORKER_NAME)
        return result

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set; sleeps between rounds only when there was nothing due."""
        while not stop.is_set():
            try:
                result = self.run_once()
            except Exception:  # a worker must outlive a bad round; the error is logged
                log.exception("delivery round failed")
                stop.wait(self.hub.settings.worker_poll_seconds)
                continue
            if result.attempted:
                log.info(
                    "delivery round",
                    delivered=result.delivered,
                    retried=result.retried,
                    dead=result.dead,
                )
            if result.attempted < self.batch:
                stop.wait(self.hub.settings.worker_poll_seconds)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="delivery", daemon=True)
        thread.start()
        return thread, stop

// The web SDK harness's page script (tests/web_sdk/): joins a stage with the public API of
// amazon-ivs-web-broadcast (window.IVSBroadcastClient, loaded by index.html) and records what
// the SDK tells the app, for the test to read through window.harness.
"use strict";

(() => {
  const { Stage, LocalStageStream, SubscribeType, StageEvents } = window.IVSBroadcastClient;
  const seen = {
    connection: [], joined: [], left: [], publish: [], subscribe: [], streamsAdded: [],
    streamsRemoved: [], muteChanged: [], errors: [], stageLeft: [], joinMs: null,
  };
  const participants = new Map();
  let stage = null;
  let localStreams = [];

  const info = (p) => ({
    id: p.id, userId: p.userId, isLocal: p.isLocal, attributes: p.attributes,
    audioMuted: p.audioMuted, videoStopped: p.videoStopped, isPublishing: p.isPublishing,
  });
  const remember = (p) => { participants.set(p.id, p); return info(p); };
  const at = () => Math.round(performance.now());

  function show(participant, streams) {
    const id = `video-${participant.id}`;
    let video = document.getElementById(id);
    if (!video) {
      video = document.createElement("video");
      Object.assign(video, { id, autoplay: true, muted: true, playsInline: true });
      document.getElementById("videos").appendChild(video);
      video.srcObject = new MediaStream();
    }
    for (const stream of streams) video.srcObject.addTrack(stream.mediaStreamTrack);
    video.play().catch(() => {});
  }

  function listen(current) {
    current.on(StageEvents.STAGE_CONNECTION_STATE_CHANGED, (state) =>
      seen.connection.push({ state, at: at() }));
    current.on(StageEvents.STAGE_PARTICIPANT_JOINED, (p) =>
      seen.joined.push({ participant: remember(p), at: at() }));
    current.on(StageEvents.STAGE_PARTICIPANT_LEFT, (p) =>
      seen.left.push({ participant: remember(p), at: at() }));
    current.on(StageEvents.STAGE_PARTICIPANT_PUBLISH_STATE_CHANGED, (p, state) =>
      seen.publish.push({ participant: remember(p), state, at: at() }));
    current.on(StageEvents.STAGE_PARTICIPANT_SUBSCRIBE_STATE_CHANGED, (p, state) =>
      seen.subscribe.push({ participant: remember(p), state, at: at() }));
    current.on(StageEvents.STAGE_PARTICIPANT_STREAMS_ADDED, (p, streams) => {
      seen.streamsAdded.push({
        participant: remember(p), types: streams.map((s) => s.streamType), at: at(),
      });
      if (!p.isLocal) show(p, streams);
    });
    current.on(StageEvents.STAGE_PARTICIPANT_STREAMS_REMOVED, (p, streams) =>
      seen.streamsRemoved.push({
        participant: remember(p), types: streams.map((s) => s.streamType), at: at(),
      }));
    current.on(StageEvents.STAGE_STREAM_MUTE_CHANGED, (p, stream) =>
      seen.muteChanged.push({
        participant: remember(p), type: stream.streamType, isMuted: stream.isMuted, at: at(),
      }));
    current.on(StageEvents.ERROR, (error) =>
      seen.errors.push({
        name: error && error.name, message: error && error.message,
        code: error && error.code, category: error && error.category, at: at(),
      }));
    current.on(StageEvents.STAGE_LEFT, (reason) => seen.stageLeft.push({ reason, at: at() }));
  }

  window.harness = {
    // Join with `token`; with `publish`, publish the (fake) camera and microphone.
    async join(token, publish) {
      if (publish) {
        const media = await navigator.mediaDevices.getUserMedia({
          video: { width: 640, height: 360 }, audio: true,
        });
        localStreams = media.getTracks().map((track) => new LocalStageStream(track));
      }
      const strategy = {
        stageStreamsToPublish: () => localStreams,
        shouldPublishParticipant: () => publish,
        shouldSubscribeToParticipant: () => SubscribeType.AUDIO_VIDEO,
      };
      stage = new Stage(token, strategy);
      listen(stage);
      const started = performance.now();
      await stage.join();
      seen.joinMs = Math.round(performance.now() - started);
      return seen.joinMs;
    },
    // Join, and say how it went instead of throwing: {ok} or {ok: false, error}.
    async tryJoin(token, publish) {
      try {
        await window.harness.join(token, publish);
        return { ok: true };
      } catch (error) {
        return {
          ok: false,
          error: { name: error.name, code: error.code, category: error.category, message: error.message },
        };
      }
    },
    // The SDK's undocumented hook for other endpoints than the token's (docs/web-apps.md).
    override(eventsUrl, whipUrl) {
      window.IVS_CLIENT_OVERRIDES = { eventsUrl, whipUrl };
      return true;
    },
    // Mute or unmute the local stream of one kind ("audio" or "video").
    setMuted(kind, muted) {
      const stream = localStreams.find((s) => s.streamType === kind);
      if (!stream) throw new Error(`no local ${kind} stream`);
      stream.setMuted(muted);
      return stream.isMuted;
    },
    leave() {
      stage.leave();
      return true;
    },
    // What the page has seen so far, as JSON.
    seen() {
      const videos = [...document.querySelectorAll("video")].map((v) => ({
        id: v.id, videoWidth: v.videoWidth, videoHeight: v.videoHeight,
        currentTime: v.currentTime,
        tracks: v.srcObject ? v.srcObject.getTracks().map((t) => ({
          kind: t.kind, readyState: t.readyState,
        })) : [],
      }));
      return JSON.parse(JSON.stringify({
        ...seen, videos, participants: [...participants.values()].map(info),
      }));
    },
  };
})();
